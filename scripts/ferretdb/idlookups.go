package main

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // the SQLite driver FerretDB itself uses
)

// FerretDB 1.24's SQLite backend finds a document by _id (a find, an update or
// a delete whose filter is only _id) with WHERE _ferretdb_sjson->'$._id' = ?,
// but creates its unique _id index on _ferretdb_sjson->"_id". SQLite does not
// take one expression for the other, so every lookup by _id scans the whole
// table: 4 ms on 5,000 documents where an index answers in 0.04 ms, and a
// lifecycle makes about twenty of them.
//
// indexIDLookups gives every collection table an index on the expression the
// lookups use, for tables that exist at start and, checking every interval,
// for those created later. FerretDB keeps its own list of indexes, so clients
// never see this one; it is dropped with its table.
func indexIDLookups(ctx context.Context, dir string, every time.Duration, logger *slog.Logger) {
	for {
		files, err := filepath.Glob(filepath.Join(dir, "*.sqlite"))
		if err != nil {
			logger.Warn("listing SQLite files", "error", err)
		}
		for _, file := range files {
			if err := indexFile(ctx, file); err != nil && ctx.Err() == nil {
				logger.Debug("indexing _id lookups", "file", file, "error", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}

// indexFile opens the database for this pass only: a database dropped meanwhile
// is a deleted file, and a handle kept open would hold it and miss its successor.
// Only missing indexes are created, so a pass with nothing to do only reads.
func indexFile(ctx context.Context, file string) error {
	db, err := sql.Open("sqlite", "file:"+file+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer db.Close()

	// A database FerretDB is still creating has no metadata table yet: the next pass gets it.
	tables, err := column(ctx, db, `SELECT table_name FROM _ferretdb_collections`)
	if err != nil {
		return err
	}
	existing, err := column(ctx, db, `SELECT name FROM sqlite_master WHERE type = 'index'`)
	if err != nil {
		return err
	}
	has := map[string]bool{}
	for _, name := range existing {
		has[name] = true
	}

	for _, table := range tables {
		index := table + "_id_lookup"
		if has[index] {
			continue
		}
		q := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %q ON %q (_ferretdb_sjson->'$._id')`, index, table)
		if _, err := db.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// column answers the first column of every row of a query.
func column(ctx context.Context, db *sql.DB, query string) ([]string, error) {
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
