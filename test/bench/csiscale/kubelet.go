// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package csiscale

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/deckhouse/secrets-store-integration/test/stack"
)

const (
	// rpcTimeout bounds one CSI call.
	rpcTimeout = time.Minute
	// fsGroup is the pod's fsGroup, sent as VolumeMountGroup when the plugin
	// advertises VOLUME_MOUNT_GROUP (kubelet then delegates the group to it).
	fsGroup = "2000"
	// volumeName is the name of the CSI volume in every pod spec.
	volumeName = "secrets"
)

// kubelet drives the plugin's CSI socket as kubelet does for inline ephemeral volumes of
// a CSIDriver with podInfoOnMount, tokenRequests and requiresRepublish. It remembers
// every volume it asked to publish, so that all of them can be unpublished.
type kubelet struct {
	root       string // the kubelet directory the plugin was given
	conn       *grpc.ClientConn
	node       csi.NodeClient
	mountGroup string // VolumeMountGroup sent; empty if the plugin does not take it

	mu        sync.Mutex
	published map[string]*volume // by target path
}

// volume is one pod's inline volume: the request kubelet sends for it.
type volume struct {
	pod string
	req *csi.NodePublishVolumeRequest
}

// dialKubelet connects to the plugin's socket and waits until it answers; alive reports
// the plugin's exit, which ends the wait early.
func dialKubelet(ctx context.Context, root, endpoint string, alive func() error) (*kubelet, error) {
	conn, err := grpc.NewClient("unix://"+endpoint, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, fmt.Errorf("csi client for %s: %w", endpoint, err)
	}
	k := &kubelet{root: root, conn: conn, node: csi.NewNodeClient(conn), published: map[string]*volume{}}
	id := csi.NewIdentityClient(conn)
	err = stack.Poll(ctx, time.Minute, func(ctx context.Context) (bool, error) {
		if err := alive(); err != nil {
			return false, err
		}
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		_, err := id.GetPluginInfo(cctx, &csi.GetPluginInfoRequest{})
		return err == nil, nil
	})
	if err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("the csi plugin does not answer on %s: %w", endpoint, err)
	}
	cctx, cancel := context.WithTimeout(ctx, rpcTimeout)
	defer cancel()
	caps, err := k.node.NodeGetCapabilities(cctx, &csi.NodeGetCapabilitiesRequest{})
	if err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("node capabilities: %w", err)
	}
	for _, c := range caps.GetCapabilities() {
		if c.GetRpc().GetType() == csi.NodeServiceCapability_RPC_VOLUME_MOUNT_GROUP {
			k.mountGroup = fsGroup
		}
	}
	return k, nil
}

func (k *kubelet) close() error { return k.conn.Close() }

// podUID is a stable UUID-shaped UID for a pod name.
func podUID(pod string) string {
	s := sha256.Sum256([]byte(pod))
	return fmt.Sprintf("%x-%x-%x-%x-%x", s[0:4], s[4:6], s[6:8], s[8:10], s[10:16])
}

// volumeFor builds what kubelet sends for the inline volume of pod, whose
// ServiceAccount token is token, and creates the target's parent directory as kubelet
// does (the plugin creates the target itself).
func (k *kubelet) volumeFor(pod, ssi, token string, expires time.Time) (*volume, error) {
	uid := podUID(pod)
	target := filepath.Join(k.root, "pods", uid, "volumes", "kubernetes.io~csi", volumeName, "mount")
	if err := os.MkdirAll(filepath.Dir(target), 0o750); err != nil {
		return nil, err
	}
	tokens, err := json.Marshal(map[string]map[string]string{
		"": {"token": token, "expirationTimestamp": expires.UTC().Format(time.RFC3339)},
	})
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(uid + "/" + volumeName))
	return &volume{pod: pod, req: &csi.NodePublishVolumeRequest{
		VolumeId:   "csi-" + hex.EncodeToString(sum[:]),
		TargetPath: target,
		VolumeCapability: &csi.VolumeCapability{
			AccessType: &csi.VolumeCapability_Mount{Mount: &csi.VolumeCapability_MountVolume{VolumeMountGroup: k.mountGroup}},
			AccessMode: &csi.VolumeCapability_AccessMode{Mode: csi.VolumeCapability_AccessMode_SINGLE_NODE_WRITER},
		},
		VolumeContext: map[string]string{
			"csi.storage.k8s.io/ephemeral":             "true",
			"csi.storage.k8s.io/pod.name":              pod,
			"csi.storage.k8s.io/pod.namespace":         namespace,
			"csi.storage.k8s.io/pod.uid":               uid,
			"csi.storage.k8s.io/serviceAccount.name":   serviceAccount,
			"csi.storage.k8s.io/serviceAccount.tokens": string(tokens),
			"secretsStoreImport":                       ssi,
		},
	}}, nil
}

// publish calls NodePublishVolume once and returns its duration. The volume is
// remembered before the call, so that a call that timed out is unpublished too.
func (k *kubelet) publish(ctx context.Context, v *volume) (time.Duration, error) {
	k.mu.Lock()
	k.published[v.req.GetTargetPath()] = v
	k.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, rpcTimeout)
	defer cancel()
	start := time.Now()
	_, err := k.node.NodePublishVolume(ctx, v.req)
	d := time.Since(start)
	if err != nil {
		return d, fmt.Errorf("publish the volume of pod %s: %w", v.pod, err)
	}
	return d, nil
}

// wave publishes (or republishes) every volume, Concurrency calls at a time, and returns
// the duration of each call and the wall time. The first failure stops the wave.
func (k *kubelet) wave(ctx context.Context, vols []*volume) ([]time.Duration, time.Duration, error) {
	lat := make([]time.Duration, len(vols))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(Concurrency)
	start := time.Now()
	for i, v := range vols {
		g.Go(func() error {
			d, err := k.publish(gctx, v)
			lat[i] = d
			return err
		})
	}
	err := g.Wait()
	return lat, time.Since(start), err
}

// unpublish calls NodeUnpublishVolume and forgets the volume.
func (k *kubelet) unpublish(ctx context.Context, v *volume) error {
	ctx, cancel := context.WithTimeout(ctx, rpcTimeout)
	defer cancel()
	_, err := k.node.NodeUnpublishVolume(ctx, &csi.NodeUnpublishVolumeRequest{
		VolumeId: v.req.GetVolumeId(), TargetPath: v.req.GetTargetPath(),
	})
	if err != nil {
		return fmt.Errorf("unpublish the volume of pod %s: %w", v.pod, err)
	}
	k.mu.Lock()
	delete(k.published, v.req.GetTargetPath())
	k.mu.Unlock()
	return nil
}

func (k *kubelet) publishedCount() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.published)
}

// unpublishAll unpublishes every remembered volume, Concurrency at a time; a failure
// does not stop the others.
func (k *kubelet) unpublishAll(ctx context.Context) error {
	k.mu.Lock()
	vols := slices.Collect(maps.Values(k.published))
	k.mu.Unlock()
	var g errgroup.Group
	g.SetLimit(Concurrency)
	var failed atomic.Int64
	for _, v := range vols {
		g.Go(func() error {
			err := k.unpublish(ctx, v)
			if err != nil {
				failed.Add(1)
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return fmt.Errorf("%d of %d volumes not unpublished: %w", failed.Load(), len(vols), err)
	}
	return nil
}

// removeDir removes the kubelet directory once no file system is mounted under it.
func (k *kubelet) removeDir() error {
	left, err := mountsUnder(k.root + "/")
	if err != nil {
		return err
	}
	if left > 0 {
		return fmt.Errorf("%d mounts left under %s after every volume was unpublished", left, k.root)
	}
	return os.RemoveAll(k.root)
}

// mountsUnder counts the mounts whose mount point starts with prefix.
func mountsUnder(prefix string) (int, error) {
	f, err := os.Open("/proc/self/mounts")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fields := strings.Fields(sc.Text()); len(fields) > 1 && strings.HasPrefix(fields[1], prefix) {
			n++
		}
	}
	return n, sc.Err()
}
