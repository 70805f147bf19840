// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package modulechart

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/deckhouse/secrets-store-integration/internal/envcontract"
	"github.com/deckhouse/secrets-store-integration/test/stack"
)

// imageSpec is one module image: the key of its digest in the values
// (global.modulesImages.digests.secretsStoreIntegration), the name of the local image, the
// program and where it lives in the image.
type imageSpec struct {
	key    string // webhook, injector, csiDriver, syncController
	name   string // LocalImagePrefix + name + ":dev"
	pkg    string
	binary string // absolute path in the image
	user   string
	// more are further programs of the image: absolute path in the image -> package.
	more map[string]string
}

// The images as images/*/werf.inc.yaml build them: static binaries on an empty base (the
// injector's with its watcher), the webhook, the injector and the sync controller as the
// unprivileged user the chart runs them as.
var imageSpecs = []imageSpec{
	{key: "webhook", name: "webhook", pkg: "./images/webhook", binary: "/webhook", user: "65534"},
	{
		key: "injector", name: "injector", pkg: "./images/injector", binary: envcontract.InitBinaryPath, user: "65534",
		more: map[string]string{"/" + envcontract.WatcherBinaryName: "./images/" + envcontract.WatcherBinaryName},
	},
	{key: "csiDriver", name: "csi-driver", pkg: "./images/csi-driver", binary: "/csi-driver"},
	{key: syncImage, name: "sync-controller", pkg: "./images/sync-controller", binary: "/sync-controller", user: "65534"},
}

// kubeRBACProxyKey is the platform's kube-rbac-proxy among the common images
// (global.modulesImages.digests.common). The local image carries the stack's build of upstream
// kube-rbac-proxy (stack.KubeRBACProxyVersion, from the Go module proxy, kept in the stack's
// cache), run as nobody as the chart runs it.
const kubeRBACProxyKey = "kubeRbacProxy"

// syncImage is built only for an install with synchronization on, the only one that runs it.
const syncImage = "syncController"

// imageKeys are the images an install runs: all of them with synchronization on, all but the
// sync controller's otherwise.
func imageKeys(sync bool) []string {
	var keys []string
	for _, spec := range imageSpecs {
		if spec.key != syncImage || sync {
			keys = append(keys, spec.key)
		}
	}
	return keys
}

// systemCABundle is where Go looks first for the system CA pool on Linux. The production
// images carry the distribution's bundle there; the local webhook image carries the stack CA,
// which signs the registries the e2e suite runs on 127.0.0.1.
const systemCABundle = "/etc/ssl/certs/ca-certificates.crt"

// builtImage is an image as imported into containerd.
type builtImage struct {
	name           string
	manifest, conf string // digests, "sha256:…"
}

// buildImages builds the programs of the images named by keys, writes them as OCI archives
// under their local names (Local.Images) and imports them into the node's containerd.
func buildImages(ctx context.Context, s *stack.Stack, values map[string]any, keys []string) ([]builtImage, error) {
	dir := filepath.Join(s.Dir, "images", "module")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	var out []builtImage
	for _, spec := range imageSpecs {
		if !slices.Contains(keys, spec.key) {
			continue
		}
		local, _ := values[LocalKey].(*Local)
		if local == nil || local.Images[spec.key] == "" {
			return nil, fmt.Errorf("values have no local image %s (%s)", spec.key, LocalKey)
		}
		name := local.Images[spec.key]
		bin := filepath.Join(dir, filepath.Base(spec.binary))
		if err := stack.BuildStatic(ctx, s.RepoRoot, spec.pkg, bin); err != nil {
			return nil, err
		}
		im := stack.Image{
			Name:       name,
			Files:      map[string]string{spec.binary: bin},
			Entrypoint: []string{spec.binary},
			User:       spec.user,
		}
		for at, pkg := range spec.more {
			f := filepath.Join(dir, filepath.Base(at))
			if err := stack.BuildStatic(ctx, s.RepoRoot, pkg, f); err != nil {
				return nil, err
			}
			im.Files[at] = f
		}
		if spec.key == "webhook" {
			im.Files[systemCABundle] = s.Env.CAFile
		}
		b, err := imageDigests(im)
		if err != nil {
			return nil, err
		}
		archive := filepath.Join(dir, strings.ToLower(spec.key)+".tar")
		if err := im.WriteOCI(archive); err != nil {
			return nil, fmt.Errorf("build image %s: %w", name, err)
		}
		if err := s.ImportImage(ctx, archive); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	b, err := importKubeRBACProxy(ctx, s, values, dir)
	if err != nil {
		return nil, err
	}
	return append(out, b), nil
}

// importKubeRBACProxy imports the image of kube-rbac-proxy, the sidecar of every workload.
func importKubeRBACProxy(ctx context.Context, s *stack.Stack, values map[string]any, dir string) (builtImage, error) {
	local, _ := values[LocalKey].(*Local)
	if local == nil || local.Images[kubeRBACProxyKey] == "" {
		return builtImage{}, fmt.Errorf("values have no local image %s (%s)", kubeRBACProxyKey, LocalKey)
	}
	bin := stack.CachedBinaries().KubeRBACProxy
	if _, err := os.Stat(bin); err != nil {
		return builtImage{}, fmt.Errorf("kube-rbac-proxy: %w (run `make cluster-build`)", err)
	}
	im := stack.Image{
		Name:       local.Images[kubeRBACProxyKey],
		Files:      map[string]string{"/kube-rbac-proxy": bin},
		Entrypoint: []string{"/kube-rbac-proxy"},
		User:       "65534",
	}
	b, err := imageDigests(im)
	if err != nil {
		return builtImage{}, err
	}
	archive := filepath.Join(dir, "kube-rbac-proxy.tar")
	if err := im.WriteOCI(archive); err != nil {
		return builtImage{}, fmt.Errorf("build image %s: %w", im.Name, err)
	}
	return b, s.ImportImage(ctx, archive)
}

func imageDigests(im stack.Image) (builtImage, error) {
	img, err := im.Build()
	if err != nil {
		return builtImage{}, fmt.Errorf("build image %s: %w", im.Name, err)
	}
	manifest, err := img.Digest()
	if err != nil {
		return builtImage{}, err
	}
	conf, err := img.ConfigName()
	if err != nil {
		return builtImage{}, err
	}
	return builtImage{name: im.Name, manifest: manifest.String(), conf: conf.String()}, nil
}

// runs reports whether a container status's imageID (a repo digest or an image ID, as the
// runtime reports it) is this build of the image.
func (b builtImage) runs(imageID string) bool {
	return strings.HasSuffix(imageID, b.manifest) || strings.HasSuffix(imageID, b.conf)
}
