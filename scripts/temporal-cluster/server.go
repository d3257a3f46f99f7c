package main

import (
	"flag"
	"fmt"
	"os"

	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/headers"
	"go.temporal.io/server/common/log"
	_ "go.temporal.io/server/common/persistence/sql/sqlplugin/postgresql" // the postgres12 plugin
	"go.temporal.io/server/temporal"
	"gopkg.in/yaml.v3"
)

var version = "temporal-cluster (server " + headers.ServerVersion + ")"

// runServer starts one Temporal service (or several, comma-free repeated
// --service flags) from one YAML file, the way the server's own `start`
// command does; each process of the cluster gets a file of its own so it
// can bind its own loopback address.
func runServer(args []string) error {
	fs := flag.NewFlagSet("server", flag.ExitOnError)
	configFile := fs.String("config", "", "the server's YAML config file")
	var services multiFlag
	fs.Var(&services, "service", "a service to start (frontend, history, matching, worker); repeatable")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *configFile == "" || len(services) == 0 {
		return fmt.Errorf("--config and --service are required")
	}
	data, err := os.ReadFile(*configFile)
	if err != nil {
		return err
	}
	var cfg config.Config
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		return fmt.Errorf("%s: %w", *configFile, err)
	}

	logger := log.NewZapLogger(log.BuildZapLogger(cfg.Log))
	dynamicConfig := dynamicconfig.NewNoopClient()
	if cfg.DynamicConfigClient != nil {
		client, err := dynamicconfig.NewFileBasedClient(cfg.DynamicConfigClient, logger, temporal.InterruptCh())
		if err != nil {
			return fmt.Errorf("dynamic config: %w", err)
		}
		dynamicConfig = client
	}
	authorizer, err := authorization.GetAuthorizerFromConfig(&cfg.Global.Authorization)
	if err != nil {
		return fmt.Errorf("authorizer: %w", err)
	}
	claimMapper, err := authorization.GetClaimMapperFromConfig(&cfg.Global.Authorization, logger)
	if err != nil {
		return fmt.Errorf("claim mapper: %w", err)
	}

	server, err := temporal.NewServer(
		temporal.ForServices(services),
		temporal.WithConfig(&cfg),
		temporal.WithDynamicConfigClient(dynamicConfig),
		temporal.WithLogger(logger),
		temporal.InterruptOn(temporal.InterruptCh()),
		temporal.WithAuthorizer(authorizer),
		temporal.WithClaimMapper(func(*config.Config) authorization.ClaimMapper { return claimMapper }),
	)
	if err != nil {
		return fmt.Errorf("creating the server: %w", err)
	}
	// Start blocks until SIGINT or SIGTERM, then stops the services.
	return server.Start()
}

type multiFlag []string

func (m *multiFlag) String() string     { return fmt.Sprint(*m) }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
