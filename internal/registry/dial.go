// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package registry

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"syscall"
	"time"
)

// errForbiddenAddress is returned when a registry, mirror or token realm
// resolves to a link-local or cloud metadata address.
var errForbiddenAddress = errors.New("connection to a link-local or cloud metadata address refused")

// metadataAddrs are instance metadata services outside the link-local
// ranges (169.254.169.254, used by most clouds, is link-local): Alibaba
// Cloud, AWS over IPv6 and Oracle Cloud Classic.
var metadataAddrs = []netip.Addr{
	netip.MustParseAddr("100.100.100.200"),
	netip.MustParseAddr("fd00:ec2::254"),
	netip.MustParseAddr("192.0.0.192"),
}

// forbiddenAddr reports addresses registry lookups must never reach: the
// image name, a token realm and a redirect are chosen by whoever creates
// the pod or runs the registry, and a request from the webhook to a
// metadata service could hand them the node's cloud credentials. Loopback
// and private addresses stay allowed: in-cluster registries use them.
func forbiddenAddr(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() || slices.Contains(metadataAddrs, a)
}

// guardedDialer checks the address each connection is actually made to,
// after name resolution, so that a DNS name pointing at a metadata service
// is refused as well as an IP literal.
func guardedDialer() *net.Dialer {
	return &net.Dialer{
		Timeout:   30 * time.Second,
		KeepAlive: 30 * time.Second,
		Control: func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil || forbiddenAddr(ap.Addr()) {
				return fmt.Errorf("dial %s: %w", network, errForbiddenAddress)
			}
			return nil
		},
	}
}
