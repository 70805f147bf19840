// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package csiscale

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// auditSettle is left for the store's last audit entries of a window to reach the file.
const auditSettle = 500 * time.Millisecond

// statusSettle covers the plugin's status delay (--status-delay, 2 s by default) and the
// write that follows it.
const statusSettle = 3 * time.Second

// mark is where a window starts: the audit log's size and the plugin's counters.
type mark struct {
	at        time.Time
	audit     int64
	requests  int
	refreshes int
	status    int
}

func (b *bench) mark(ctx context.Context) (mark, error) {
	st, err := os.Stat(b.auditLog)
	if err != nil {
		return mark{}, err
	}
	m := mark{at: time.Now(), audit: st.Size()}
	m.requests, m.refreshes, m.status, err = b.pluginCounters(ctx)
	return m, err
}

// window counts the store requests since m, in the audit log and in the plugin's metrics.
func (b *bench) window(ctx context.Context, m mark, wave time.Duration) (Window, error) {
	w := Window{Wave: wave, Span: time.Since(m.at)}
	if err := sleepUntil(ctx, time.Now().Add(auditSettle)); err != nil {
		return w, err
	}
	var err error
	if w.Store, err = countAudit(b.auditLog, m.audit); err != nil {
		return w, err
	}
	// The status of the SecretsStoreImport is written after the plugin's
	// status delay: wait for it before counting.
	if err := sleepUntil(ctx, time.Now().Add(statusSettle)); err != nil {
		return w, err
	}
	requests, refreshes, status, err := b.pluginCounters(ctx)
	w.Plugin, w.Refreshed, w.StatusWrites = requests-m.requests, refreshes-m.refreshes, status-m.status
	return w, err
}

// countAudit counts the store's answers in the audit log from offset on, by the path asked.
func countAudit(path string, offset int64) (Requests, error) {
	var r Requests
	f, err := os.Open(path) //nolint:gosec // G304: the audit log in the stack directory
	if err != nil {
		return r, err
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return r, err
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 8<<20)
	for sc.Scan() {
		var e struct {
			Type    string `json:"type"`
			Request struct {
				Path string `json:"path"`
			} `json:"request"`
		}
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return r, fmt.Errorf("decode an entry of the audit log %s: %w", path, err)
		}
		if e.Type != "response" {
			continue
		}
		switch p := e.Request.Path; {
		case p == "auth/"+authMount+"/login":
			r.Login++
		case strings.HasPrefix(p, "sys/internal/ui/mounts/"):
			r.Mount++
		case strings.HasPrefix(p, kvMount+"/"), strings.HasPrefix(p, leaseDB+"/creds/"):
			r.Read++
		case p == "sys/leases/renew":
			r.Renew++
		default:
			r.Other++
		}
	}
	return r, sc.Err()
}

// pluginCounters reads the plugin's store requests, refreshes (rotations of every
// result) and status writes made from its /metrics.
func (b *bench) pluginCounters(ctx context.Context) (requests, refreshes, status int, err error) {
	m, err := b.scrape(ctx)
	return int(m["secrets_store_csi_store_requests_total"]), int(m["secrets_store_csi_rotation_total"]),
		int(m[`secrets_store_csi_status_writes_total{result="updated"}`]), err
}

// scrape reads the plugin's /metrics: each metric's samples summed over their labels,
// and each sample by its full name with labels.
func (b *bench) scrape(ctx context.Context) (map[string]float64, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.metricsURL, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("read the plugin's metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("read the plugin's metrics: %s", resp.Status)
	}
	sums := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		fields := strings.Fields(line)
		if len(fields) < 2 || strings.HasPrefix(line, "#") {
			continue
		}
		name, _, _ := strings.Cut(fields[0], "{")
		if v, err := strconv.ParseFloat(fields[len(fields)-1], 64); err == nil {
			sums[name] += v
			if name != fields[0] {
				sums[fields[0]] = v
			}
		}
	}
	return sums, sc.Err()
}

// sleepUntil waits until t or the end of ctx.
func sleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}
