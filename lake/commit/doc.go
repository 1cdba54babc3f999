// Package commit is wharf's exactly-once commit ledger (DESIGN.md §4).
//
// The Iceberg commit is the one point at which an epoch becomes visible;
// everything before it can be redone. Per job and epoch:
//
//  1. the caller uploads data files under unique names;
//  2. the ledger writes a pre-commit record (files, txid, source ranges) with a
//     conditional create, so a later incarnation can finish or recognise it;
//  3. the ledger commits one snapshot whose summary carries wharf.txid and the
//     provenance keys, inside iceberg-go's retry loop, with a guard that is
//     re-evaluated against the exact metadata each compare-and-swap replaces;
//  4. it writes a committed record (the checkpoint: cumulative source
//     positions), so snapshot expiry cannot erase them (F3);
//  5. only then does the caller acknowledge and advance its sources.
//
// The decisions are pure functions of observed facts (Decide, Resume); the
// I/O lives at the edge (Ledger, with an objstore.Store and the catalog).
//
// Non-obvious:
//   - The guard is an Iceberg table.Requirement. wharf's SQL catalog (its
//     lake/restcat store) validates requirements against the metadata it is
//     about to swap, inside the same compare-and-swap, so "txid absent and
//     generation not fenced" holds at the instant of the swap, not at some
//     earlier check (F4, F5). A REST catalog cannot carry a custom
//     requirement; there the ledger validates the freshly loaded metadata and
//     relies on the ref assertion that iceberg-go sends: snapshot facts are
//     then exact, but a fence set between the load and the swap is not seen.
//   - An epoch of several tables commits them in one catalog transaction
//     (catalog.TransactionalCatalog), each under its own txid and guard.
//   - A commit that fails ambiguously is reconciled by reloading and searching
//     the ancestry for the txid; no file is ever deleted on that path (F6).
//   - A txid does not include the generation: a new incarnation that replays
//     an epoch must produce the same txid, or the duplicate would go unseen.
package commit
