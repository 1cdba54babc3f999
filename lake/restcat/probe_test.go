package restcat

import (
	"database/sql"
	"testing"

	sqlcat "github.com/apache/iceberg-go/catalog/sql"
	_ "modernc.org/sqlite"
)

func TestProbeDDL(t *testing.T) {
	db, _ := sql.Open("sqlite", "file:"+t.TempDir()+"/x.db")
	if _, err := sqlcat.NewCatalog("x", db, sqlcat.SQLite, nil); err != nil {
		t.Fatal(err)
	}
	rows, _ := db.Query("select sql from sqlite_master")
	for rows.Next() {
		var s sql.NullString
		rows.Scan(&s)
		t.Log(s.String)
	}
}
