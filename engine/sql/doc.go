// Package sql parses the Flink SQL that wharf users type into a typed
// syntax tree with positions, and prints trees back as canonical Flink SQL.
//
// Parse, ParseOne and SplitStatements are the entry points. Every node
// records where it starts (for infix and postfix operators: the operator),
// and String prints canonical SQL: keywords upper case, identifiers quoted
// with backticks only when they are keywords or not plain words,
// parentheses only where precedence needs them. Parsing the printed text
// gives an equal tree. Errors are *Error with a line and column; input
// nested deeper than 100 levels is an error, never a stack overflow.
//
// The dialect covered:
//
//   - DDL: CREATE [TEMPORARY] TABLE with physical, computed and metadata
//     columns, PRIMARY KEY ... NOT ENFORCED, WATERMARK, COMMENT,
//     PARTITIONED BY with Iceberg transforms (days(ts), bucket(16, id), ...),
//     WITH options and AS query; CREATE/DROP DATABASE, CATALOG, VIEW; DROP
//     TABLE; SHOW, DESCRIBE, USE, EXPLAIN, SET, RESET, CALL.
//   - DML: INSERT INTO|OVERWRITE with hints, static PARTITION values and a
//     column list; statement sets in both the EXECUTE STATEMENT SET BEGIN
//     ... END and the SQL client BEGIN STATEMENT SET; ... END; forms.
//   - Queries: WITH, SELECT with hints, DISTINCT, FROM, WHERE, GROUP BY
//     with GROUPING SETS, ROLLUP and CUBE, HAVING, WINDOW, ORDER BY,
//     LIMIT, OFFSET, FETCH; UNION, INTERSECT and EXCEPT; VALUES; all join
//     kinds, LATERAL, UNNEST, table functions, window TVFs with TABLE,
//     DESCRIPTOR and named arguments, FOR SYSTEM_TIME AS OF, table hints.
//   - Expressions: the SQL operators with Calcite's precedence, literals of
//     every type, intervals, CAST and TRY_CAST, CASE, the special call
//     syntaxes (EXTRACT, POSITION, TRIM, SUBSTRING, OVERLAY, FLOOR/CEIL TO,
//     TIMESTAMPADD/DIFF), aggregate FILTER, OVER windows, constructors,
//     item and field access, subqueries, EXISTS, IN.
//
// Not covered yet: MATCH_RECOGNIZE, CREATE TABLE ... LIKE, DISTRIBUTED BY,
// CREATE/DROP FUNCTION, ALTER statements, quantified comparisons (= ANY
// (...)), JSON functions with their special syntax (JSON_OBJECT(KEY ...
// VALUE ...), RETURNING, ON ERROR), WITHIN GROUP, IGNORE/RESPECT NULLS,
// NATURAL joins, TABLESAMPLE, ARRAY(subquery) and MAP(subquery), MULTISET
// constructors, `T ARRAY` postfix type syntax, user-defined and RAW types,
// INTERVAL types in DDL, dynamic parameters (?).
package sql
