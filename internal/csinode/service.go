// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package csinode

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/deckhouse/secrets-store-integration/internal/ssi"
	"github.com/deckhouse/secrets-store-integration/internal/store"
	"github.com/deckhouse/secrets-store-integration/internal/storeconn"
)

// Deps are the side effects of a Service.
type Deps struct {
	SSI     ssi.Getter
	Events  EventRecorder
	Mounter Mounter
	// Registry receives the plugin's metrics; nil means a private registry.
	Registry prometheus.Registerer
	Logger   *slog.Logger
	// Status writes the status of SecretsStoreImports; nil writes none.
	Status ssi.StatusUpdater
	// NodeExists tells whether a node still exists, so that status entries
	// of removed nodes are dropped; nil keeps them.
	NodeExists NodeChecker
	// Env is the NRI plugin that environment volumes hand their pod's token
	// to; nil fails such volumes.
	Env EnvDelivery
	// Clock is the time of rotation decisions and the read cache; nil means
	// time.Now.
	Clock func() time.Time
}

// Service implements the CSI Node service. Identity and Controller are
// served by the values IdentityServer and ControllerServer return.
type Service struct {
	csi.UnimplementedNodeServer

	cfg      Config
	ssis     ssi.Getter
	events   EventRecorder
	mounter  Mounter
	log      *slog.Logger
	now      func() time.Time
	metrics  *metrics
	clients  *storeconn.Clients
	reads    *readCache
	versions versioner
	states   *states
	locks    keyedLocks
	status   *statusReporter
	inUse    inUse
	// injectorDir is the directory of the installed injector, "" when the
	// plugin serves none; injectorErr says why when installing failed.
	injectorDir string
	injectorErr error
	env         EnvDelivery
}

// NewService loads the state of volumes published before a restart and
// returns a ready Service.
func NewService(cfg Config, d Deps) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if d.SSI == nil || d.Events == nil || d.Mounter == nil {
		return nil, errors.New("csinode: SSI, Events and Mounter are required")
	}
	if d.Registry == nil {
		d.Registry = prometheus.NewRegistry()
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Clock == nil {
		d.Clock = time.Now
	}
	m := newMetrics(d.Registry)
	st, err := loadStates(cfg.StateDir, d.Logger)
	if err != nil {
		return nil, err
	}
	m.volumes.Set(float64(st.len()))
	s := &Service{
		cfg: cfg, ssis: d.SSI, events: d.Events, mounter: d.Mounter, log: d.Logger, now: d.Clock,
		metrics:  m,
		clients:  storeconn.NewClients(store.WithObserver(m)),
		reads:    newReadCache(cfg.RotationInterval, cfg.maintainTick(), d.Clock),
		versions: newVersioner(),
		states:   st,
		env:      d.Env,
	}
	s.status = newStatusReporter(cfg.NodeID, d.Status, d.NodeExists, st.podsOf, d.Clock, cfg.StatusDelay, d.Logger,
		func(result string) { m.statusWrites.WithLabelValues(result).Inc() })
	d.Logger.Info("volume state loaded", "volumes", st.len(), "dir", cfg.StateDir)
	s.setUpInjector()
	return s, nil
}

// NodeGetInfo reports the node name as the node id.
func (s *Service) NodeGetInfo(context.Context, *csi.NodeGetInfoRequest) (*csi.NodeGetInfoResponse, error) {
	return &csi.NodeGetInfoResponse{NodeId: s.cfg.NodeID}, nil
}

// NodeGetCapabilities advertises VOLUME_MOUNT_GROUP only: kubelet then
// passes the pod's fsGroup with each publish and leaves ownership to the
// plugin.
func (s *Service) NodeGetCapabilities(context.Context, *csi.NodeGetCapabilitiesRequest) (*csi.NodeGetCapabilitiesResponse, error) {
	return &csi.NodeGetCapabilitiesResponse{Capabilities: []*csi.NodeServiceCapability{{
		Type: &csi.NodeServiceCapability_Rpc{Rpc: &csi.NodeServiceCapability_RPC{
			Type: csi.NodeServiceCapability_RPC_VOLUME_MOUNT_GROUP,
		}},
	}}}, nil
}

// IdentityServer returns the CSI Identity service of s.
func (s *Service) IdentityServer() csi.IdentityServer { return identity{s: s} }

// ControllerServer returns an empty Controller service: the driver has no
// controller, but the CSI sanity suite calls ControllerGetCapabilities.
func (s *Service) ControllerServer() csi.ControllerServer { return controller{} }

type identity struct {
	csi.UnimplementedIdentityServer
	s *Service
}

func (i identity) GetPluginInfo(context.Context, *csi.GetPluginInfoRequest) (*csi.GetPluginInfoResponse, error) {
	return &csi.GetPluginInfoResponse{Name: i.s.cfg.DriverName, VendorVersion: i.s.cfg.Version}, nil
}

// GetPluginCapabilities reports no capability: no controller service, no
// topology.
func (identity) GetPluginCapabilities(context.Context, *csi.GetPluginCapabilitiesRequest) (*csi.GetPluginCapabilitiesResponse, error) {
	return &csi.GetPluginCapabilitiesResponse{}, nil
}

// Probe reports ready: a Service exists only once its state is loaded.
func (identity) Probe(context.Context, *csi.ProbeRequest) (*csi.ProbeResponse, error) {
	return &csi.ProbeResponse{Ready: wrapperspb.Bool(true)}, nil
}

type controller struct {
	csi.UnimplementedControllerServer
}

// ValidateVolumeCapabilities is a required RPC of the Controller service.
// Inline ephemeral volumes exist only on nodes, so the controller knows no
// volume: every well-formed request is NotFound.
func (controller) ValidateVolumeCapabilities(_ context.Context, req *csi.ValidateVolumeCapabilitiesRequest) (*csi.ValidateVolumeCapabilitiesResponse, error) {
	switch {
	case req.GetVolumeId() == "":
		return nil, status.Error(codes.InvalidArgument, "volume id is empty")
	case len(req.GetVolumeCapabilities()) == 0:
		return nil, status.Error(codes.InvalidArgument, "volume capabilities are missing")
	}
	return nil, status.Errorf(codes.NotFound, "volume %q not found: the driver has only inline ephemeral volumes, which no controller manages", req.GetVolumeId())
}

func (controller) ControllerGetCapabilities(context.Context, *csi.ControllerGetCapabilitiesRequest) (*csi.ControllerGetCapabilitiesResponse, error) {
	return &csi.ControllerGetCapabilitiesResponse{}, nil
}

// RunStatus writes the status of SecretsStoreImports until ctx ends. Once
// synced reports true, it first corrects the status of every resource this
// node has volumes of or an entry in (each lists the resources).
func (s *Service) RunStatus(ctx context.Context, synced func() bool, each func(func(*ssi.SecretsStoreImport))) error {
	if s.status == nil {
		return nil
	}
	for !synced() {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(100 * time.Millisecond):
		}
	}
	s.status.resync(each, s.states.used())
	return s.status.run(ctx)
}
