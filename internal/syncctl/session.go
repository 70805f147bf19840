// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package syncctl

import (
	"context"
	"errors"
	"fmt"

	authnv1 "k8s.io/api/authentication/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/deckhouse/secrets-store-integration/internal/store"
	"github.com/deckhouse/secrets-store-integration/internal/storeconn"
)

// Sentinels of a failed login preparation (Synced=False with the reason
// they name).
var (
	// errTokenRequest: the API server issued no token for the ServiceAccount.
	errTokenRequest = errors.New("token request failed")
	// errAudience: spec.audience is not one the module allows.
	errAudience = errors.New("audience not allowed")
)

// session prepares the store login of res: its ServiceAccount, its role,
// the audience of its token. The login itself is made by the first read that
// needs it; the store client caches the token per identity until its TTL,
// so a login happens about once per token lifetime per identity.
func (c *Controller) session(res *SecretsStoreSync) (*session, error) {
	aud := storeconn.FirstSet(res.Spec.Audience, c.cfg.TokenAudience)
	if res.Spec.Audience != "" && !c.cfg.audienceAllowed(res.Spec.Audience) {
		return nil, fmt.Errorf("%w: SecretsStoreSync %s asks for a token with audience %q, which the module does not allow: "+
			"add it to additionalTokenAudiences in the ModuleConfig secrets-store-integration, or remove spec.audience",
			errAudience, res.Ref(), res.Spec.Audience)
	}
	conn, err := storeconn.Of(c.cfg.Store, storeconn.Overrides{
		Address: res.Spec.Address, AuthPath: res.Spec.AuthPath, Namespace: res.Spec.Namespace,
		CACert: res.Spec.CACert, SkipTLSVerify: res.Spec.SkipTLSVerify, Kind: Kind,
	})
	if err != nil {
		return nil, err
	}
	conn = conn.ForAudience(aud)
	client, err := c.clients.Get(conn)
	if err != nil {
		return nil, err
	}
	ns, sa := res.Namespace, res.Spec.ServiceAccountName
	return &session{
		client: client,
		login: store.Login{
			AuthPath:       conn.AuthPath(),
			Role:           res.Spec.Role,
			ServiceAccount: ns + "/" + sa,
			JWT:            func(ctx context.Context) (string, error) { return c.requestToken(ctx, ns, sa, aud) },
		},
		identity: conn.Identity(res.Spec.Role, ns+"/"+sa),
	}, nil
}

// requestToken asks the API server for a short-lived token of the
// ServiceAccount ns/sa with audience aud ("" for the API server's own).
// The token is handed to the store's login and dropped.
func (c *Controller) requestToken(ctx context.Context, ns, sa, aud string) (string, error) {
	lifetime := int64(tokenLifetime.Seconds())
	req := &authnv1.TokenRequest{Spec: authnv1.TokenRequestSpec{ExpirationSeconds: &lifetime}}
	if aud != "" {
		req.Spec.Audiences = []string{aud}
	}
	out, err := c.kube.CoreV1().ServiceAccounts(ns).CreateToken(ctx, sa, req, metav1.CreateOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return "", fmt.Errorf("%w: ServiceAccount %s/%s does not exist: create it, or fix spec.serviceAccountName", errTokenRequest, ns, sa)
	case err != nil:
		return "", fmt.Errorf("%w: ServiceAccount %s/%s: %w", errTokenRequest, ns, sa, err)
	}
	return out.Status.Token, nil
}
