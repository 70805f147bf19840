// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package stack

import (
	"context"
	"fmt"
	"net/http"
	"strings"
)

// Store fixtures for the dynamic engines: the database secrets engine on the stack's
// PostgreSQL and the PKI engine, set up through the store's HTTP API with the root token.

const (
	// pgConnection is the name of the database engine's connection to the stack's PostgreSQL.
	pgConnection = "stack-postgres"
	// pgSCRAM makes the engine send a SCRAM verifier, so no password of a new role
	// reaches the server (nor a statement it might log) in clear.
	pgSCRAM = "scram-sha-256"
)

// EnableDatabase mounts the database secrets engine at mount (an existing mount is kept),
// connects it to pg (from StartPostgres) as pg's superuser, and writes role roleName, whose
// credentials (mount/creds/roleName) are a new login role of pg valid for the lease: defaultTTL
// unless renewed, never beyond maxTTL. The role may connect to pg.Database and read its
// public tables.
func (s *Stack) EnableDatabase(ctx context.Context, mount string, pg PG, roleName, defaultTTL, maxTTL string) error {
	if err := s.StoreAPI(ctx, http.MethodGet, "sys/plugins/catalog/database/postgresql-database-plugin", nil, nil); err != nil {
		return fmt.Errorf("the store has no postgresql-database-plugin: %w (is %s an OpenBao build with its builtin plugins?)", err, s.Bins.Bao)
	}
	if err := s.enableEngine(ctx, mount, "database", nil); err != nil {
		return err
	}
	err := s.StoreAPI(ctx, http.MethodPut, mount+"/config/"+pgConnection, map[string]any{
		"plugin_name":             "postgresql-database-plugin",
		"connection_url":          fmt.Sprintf("postgresql://{{username}}:{{password}}@127.0.0.1:%d/%s?sslmode=disable", pg.Port, pg.Database),
		"username":                pg.User,
		"password":                pg.Password,
		"verify_connection":       true,
		"allowed_roles":           roleName,
		"password_authentication": pgSCRAM,
	}, nil)
	if err != nil {
		return fmt.Errorf("connect the database engine at %s to postgresql %s: %w", mount, pg.Addr, err)
	}
	return s.StoreAPI(ctx, http.MethodPut, mount+"/roles/"+roleName, map[string]any{
		"db_name": pgConnection,
		"creation_statements": []string{
			`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`,
			fmt.Sprintf(`GRANT CONNECT ON DATABASE %q TO "{{name}}";`, pg.Database),
			`GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{{name}}";`,
		},
		"default_ttl": defaultTTL,
		"max_ttl":     maxTTL,
	}, nil)
}

// EnablePKI mounts the PKI engine at mount (an existing mount and CA are kept) with an
// internal root CA (EC P-256, valid 24h) and writes role roleName, which issues certificates
// for domain and its subdomains (mount/issue/roleName with {"common_name": "app.<domain>"})
// valid for at most maxTTL.
func (s *Stack) EnablePKI(ctx context.Context, mount, roleName, domain, maxTTL string) error {
	if err := s.enableEngine(ctx, mount, "pki", map[string]any{"max_lease_ttl": "24h"}); err != nil {
		return err
	}
	var ca struct {
		Data struct {
			Certificate string `json:"certificate"`
		} `json:"data"`
	}
	if err := s.StoreAPI(ctx, http.MethodGet, mount+"/cert/ca", nil, &ca); err != nil || ca.Data.Certificate == "" {
		err := s.StoreAPI(ctx, http.MethodPut, mount+"/root/generate/internal", map[string]any{
			"common_name": "stack test root CA (" + mount + ")",
			"ttl":         "24h",
			"key_type":    "ec",
			"key_bits":    256,
		}, nil)
		if err != nil {
			return fmt.Errorf("generate the root CA of %s: %w", mount, err)
		}
	}
	return s.StoreAPI(ctx, http.MethodPut, mount+"/roles/"+roleName, map[string]any{
		"allowed_domains":    domain,
		"allow_subdomains":   true,
		"allow_bare_domains": true,
		"max_ttl":            maxTTL,
		"key_type":           "ec",
		"key_bits":           256,
	}, nil)
}

// enableEngine mounts a secrets engine of type kind at mount; an existing mount is kept.
func (s *Stack) enableEngine(ctx context.Context, mount, kind string, config map[string]any) error {
	body := map[string]any{"type": kind}
	if config != nil {
		body["config"] = config
	}
	err := s.StoreAPI(ctx, http.MethodPost, "sys/mounts/"+mount, body, nil)
	if err != nil && !strings.Contains(err.Error(), "path is already in use") {
		return fmt.Errorf("enable the %s engine at %s: %w", kind, mount, err)
	}
	return nil
}

// DatabaseCreds is a lease of database credentials as the store hands it out.
type DatabaseCreds struct {
	LeaseID       string `json:"lease_id"`
	LeaseDuration int    `json:"lease_duration"` // seconds
	Renewable     bool   `json:"renewable"`
	Data          struct {
		Username string `json:"username"`
		Password string `json:"password"`
	} `json:"data"`
}

// ReadDatabaseCreds reads new credentials of a database engine role (mount/creds/role).
func (s *Stack) ReadDatabaseCreds(ctx context.Context, mount, role string) (DatabaseCreds, error) {
	var c DatabaseCreds
	if err := s.StoreAPI(ctx, http.MethodGet, mount+"/creds/"+role, nil, &c); err != nil {
		return c, err
	}
	if c.Data.Username == "" || c.Data.Password == "" {
		return c, fmt.Errorf("read %s/creds/%s: the store answered without a username and password", mount, role)
	}
	return c, nil
}
