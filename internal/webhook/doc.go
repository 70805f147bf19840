// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

// Package webhook is the mutating admission webhook program: [Run] builds
// the registry lookup, the pod mutation and the admission handler from a
// [Config] and serves them with a [Server].
//
// The Server speaks HTTPS (TLS 1.2 or later) on Config.Listen with /mutate,
// /healthz and /metrics, plain HTTP on Config.MetricsListen with /metrics
// and /healthz, and plain HTTP on Config.HealthListen with /healthz alone
// (for kubelet's probes while the metrics listener is on 127.0.0.1 behind
// kube-rbac-proxy). The serving key pair is reloaded when its files
// change (polled every few seconds, which follows the kubelet's update of a
// mounted Secret); an invalid new pair is logged and the previous one stays
// in use. On shutdown /healthz answers 503, the listeners close and
// requests in flight get a bounded time to finish.
//
// Registry lookups read their trust from --registry-config, a JSON
// registry.Trust rendered from the module settings imageRegistries.ca,
// imageRegistries.insecureRegistries and imageRegistries.mirrors; --registry-ca-file and
// --insecure-registries add to it. --registry-max-concurrent-lookups bounds
// the lookups in progress in the process and --registry-max-images-per-pod
// the distinct images one pod may have looked up (see packages registry
// and podmutate).
//
// Metrics ([Metrics], a registry of their own):
//
//	secrets_store_webhook_reviews_total{result="mutated|unchanged|refused|error"}
//	secrets_store_webhook_review_duration_seconds (histogram, from 100 µs)
//	secrets_store_webhook_registry_lookups_total{result="ok|denied|not_found|platform|tls|unavailable|busy|invalid|unsupported"}
//	secrets_store_webhook_registry_cache_hits_total{cache="tag|config"}
//	secrets_store_webhook_certificate_expiry_timestamp_seconds
//
// Logs are structured (log/slog) and hold no secret material: no review,
// pod spec, key or credential is ever logged.
package webhook
