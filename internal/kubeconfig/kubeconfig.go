// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

// Package kubeconfig is how the module's programs reach the API server: the
// in-cluster configuration of their pod, or a kubeconfig file named on the
// command line (tests, and running next to a cluster).
package kubeconfig

import (
	"fmt"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Load returns the client configuration from the file at path, or the
// in-cluster one when path is empty, with userAgent set.
func Load(path, userAgent string) (*rest.Config, error) {
	var (
		rc  *rest.Config
		err error
	)
	if path != "" {
		rc, err = clientcmd.BuildConfigFromFlags("", path)
	} else {
		rc, err = rest.InClusterConfig()
	}
	if err != nil {
		return nil, fmt.Errorf("kubernetes client configuration: %w", err)
	}
	rc.UserAgent = userAgent
	return rc, nil
}
