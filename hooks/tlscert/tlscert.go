// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

// Package tlscert is the hook that issues the webhook's serving certificate
// with module-sdk's self-signed TLS common hook.
//
// The hook keeps the certificate, its key and its CA in
// internal.webhookCert.{crt,key,ca} (PEM). The chart writes them into the
// Secret [SecretName], mounts it into the webhook and puts the CA into the
// MutatingWebhookConfiguration's caBundle. On the next run the hook reads that
// Secret back and reuses it while it is valid and names the same hosts, so the
// certificate is not reissued on every start.
package tlscert

import (
	tlscertificate "github.com/deckhouse/module-sdk/common-hooks/tls-certificate"
	"github.com/deckhouse/module-sdk/pkg"
	certificatesv1 "k8s.io/api/certificates/v1"

	"github.com/deckhouse/secrets-store-integration/hooks/internal/module"
)

const (
	// ServiceName is the webhook's Service in the module namespace.
	ServiceName = "secrets-store-integration-webhook"
	// SecretName is the TLS Secret the chart renders from the values.
	SecretName = ServiceName + "-tls"
)

// ValuesPath holds {crt, key, ca}.
var ValuesPath = module.Path("internal.webhookCert")

// Conf is the common hook's configuration: an ECDSA P-256 certificate for
// server authentication, CN the Service name, SANs from [SANs].
var Conf = tlscertificate.GenSelfSignedTLSHookConf{
	CN:                   ServiceName,
	Namespace:            module.Namespace,
	TLSSecretName:        SecretName,
	SANs:                 SANs,
	FullValuesPathPrefix: ValuesPath,
	Usages: []certificatesv1.KeyUsage{
		certificatesv1.UsageDigitalSignature,
		certificatesv1.UsageKeyEncipherment,
		certificatesv1.UsageServerAuth,
	},
}

var _ = tlscertificate.RegisterInternalTLSHookEM(Conf)

// SANs are the names the API server may use for the webhook Service: short,
// namespaced, .svc, and .svc.<cluster domain> when the cluster domain is known.
// (module-sdk's DefaultSANs would keep a "%CLUSTER_DOMAIN%://" placeholder as a
// literal name when global.discovery.clusterDomain is empty.)
func SANs(in *pkg.HookInput) []string {
	svc := ServiceName + "." + module.Namespace + ".svc"
	sans := []string{ServiceName, ServiceName + "." + module.Namespace, svc}
	if domain := in.Values.Get("global.discovery.clusterDomain").String(); domain != "" {
		sans = append(sans, svc+"."+domain)
	}
	return sans
}
