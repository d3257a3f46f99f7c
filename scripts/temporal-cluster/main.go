// Command temporal-cluster is the self-hosted Temporal cluster `npm run cluster`
// runs: one binary that starts any one Temporal service from a config file
// (`server`), the Web UI against a frontend (`ui`), or temporal-sql-tool
// (`sql-tool`) to create and migrate the PostgreSQL databases from the
// schema embedded in the server module.
//
// It pins go.temporal.io/server v1.29.1 and ui-server v2.42.1, the versions
// the temporal CLI v1.5.1 of the dev server embeds, so the dev server and
// the cluster run the same server code.
package main

import (
	"fmt"
	"os"
	_ "time/tzdata" // the server reads time zones; do not depend on the host's

	sqltool "go.temporal.io/server/tools/sql"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "server":
		err = runServer(os.Args[2:])
	case "ui":
		err = runUI(os.Args[2:])
	case "sql-tool":
		err = sqltool.RunTool(append([]string{"temporal-sql-tool"}, os.Args[2:]...))
	case "--version", "version":
		fmt.Println(version)
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "temporal-cluster %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: temporal-cluster server --config FILE --service frontend|history|matching|worker")
	fmt.Fprintln(os.Stderr, "       temporal-cluster ui --ip IP --port PORT --frontend HOST:PORT")
	fmt.Fprintln(os.Stderr, "       temporal-cluster sql-tool ARGS (temporal-sql-tool)")
	os.Exit(2)
}
