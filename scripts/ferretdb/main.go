// Command ferretdb runs an embedded FerretDB (the MongoDB wire protocol over
// SQLite or PostgreSQL) for Propeller's local stack and test runs.
//
// It embeds the ferretdb package instead of installing FerretDB's own command:
// that command reads build/version/version.txt at start, which the published
// module does not contain, and panics.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func env(name, fallback string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return fallback
}

func main() {
	listen := flag.String("listen-addr", env("FERRETDB_LISTEN_ADDR", "127.0.0.1:27017"), "TCP address to listen on")
	handler := flag.String("handler", env("FERRETDB_HANDLER", "sqlite"), "backend: sqlite or postgresql")
	sqliteDir := flag.String("sqlite-dir", env("FERRETDB_SQLITE_DIR", ".data/ferretdb"), "directory for SQLite files (sqlite handler)")
	pgURL := flag.String("postgresql-url", env("FERRETDB_POSTGRESQL_URL", ""), "PostgreSQL URL (postgresql handler)")
	logLevel := flag.String("log-level", env("FERRETDB_LOG_LEVEL", "warn"), "debug, info, warn or error")
	flag.Parse()

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fail("invalid log level %q", *logLevel)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	// Set for the SQLite handler: where its database files are.
	var sqliteFiles string
	cfg := ferretdb.Config{
		Listener: ferretdb.ListenerConfig{TCP: *listen},
		Logger:   logger,
		Handler:  *handler,
	}
	switch *handler {
	case "sqlite":
		dir, err := filepath.Abs(*sqliteDir)
		if err != nil {
			fail("sqlite dir: %v", err)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			fail("sqlite dir: %v", err)
		}
		cfg.SQLiteURL = "file:" + strings.TrimSuffix(dir, "/") + "/"
		sqliteFiles = dir
	case "postgresql":
		if *pgURL == "" {
			fail("the postgresql handler needs --postgresql-url or FERRETDB_POSTGRESQL_URL")
		}
		cfg.PostgreSQLURL = *pgURL
	default:
		fail("unknown handler %q (want sqlite or postgresql)", *handler)
	}

	f, err := ferretdb.New(&cfg)
	if err != nil {
		fail("%v", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if sqliteFiles != "" {
		go indexIDLookups(ctx, sqliteFiles, 2*time.Second, logger)
	}

	go func() {
		// MongoDBURI blocks until the listener is bound; printing it tells the
		// parent process that the server accepts connections.
		fmt.Println("ferretdb listening:", f.MongoDBURI())
	}()

	if err := f.Run(ctx); err != nil {
		fail("%v", err)
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "ferretdb: "+format+"\n", args...)
	os.Exit(2)
}
