package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uiserveroptions "github.com/temporalio/ui-server/v2/server/server_options"
)

// runUI serves the Temporal Web UI (the same ui-server the dev server
// embeds) against the cluster's frontend.
func runUI(args []string) error {
	fs := flag.NewFlagSet("ui", flag.ExitOnError)
	ip := fs.String("ip", "127.0.0.1", "address to listen on")
	port := fs.Int("port", 8233, "port to listen on")
	frontend := fs.String("frontend", "127.0.0.1:7233", "the frontend's gRPC address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ui := uiserver.NewServer(uiserveroptions.WithConfigProvider(&uiconfig.Config{
		Host:                *ip,
		Port:                *port,
		TemporalGRPCAddress: *frontend,
		EnableUI:            true,
		CORS:                uiconfig.CORS{CookieInsecure: true},
		HideLogs:            true,
	}))
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	failed := make(chan error, 1)
	go func() { failed <- ui.Start() }()
	select {
	case err := <-failed:
		return fmt.Errorf("ui server: %w", err)
	case <-stop:
		ui.Stop()
		return nil
	}
}
