// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

// Command bench runs the project's measurements and writes them to docs/internal/BENCHMARKS.md
// and docs/internal/BENCHMARKS.ru.md: the Go benchmarks of the hot paths (admission review, mutation,
// injector resolution, atomic writes, CSI publish), the injector's binary size, and the CSI
// node plugin at 1,000 volumes on a local real cluster (package csiscale). Each figure is
// printed with its target from the design; the command that produced the page is
// `make bench`. A missed target never fails the run: the page says whether it is met. An
// error of a measurement itself (a build, the cluster, a failing publish) does.
package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/deckhouse/secrets-store-integration/test/bench/admissionload"
	"github.com/deckhouse/secrets-store-integration/test/bench/csiscale"
	"github.com/deckhouse/secrets-store-integration/test/bench/hostileload"
	"github.com/deckhouse/secrets-store-integration/test/bench/i18n"
	"github.com/deckhouse/secrets-store-integration/test/bench/injectorbench"
	"github.com/deckhouse/secrets-store-integration/test/bench/podstart"
	"github.com/deckhouse/secrets-store-integration/test/bench/syncscale"
)

func main() {
	out := flag.String("out", "docs/internal", "directory of BENCHMARKS.md and BENCHMARKS.ru.md")
	benchtime := flag.String("benchtime", "2s", "go test -benchtime")
	scale := flag.Bool("csi-scale", true, "measure the CSI node plugin at 1,000 volumes on a local cluster (needs root and the cluster binaries)")
	load := flag.Bool("admission-load", true, "create opted-in pods concurrently through the webhook of a local cluster (needs root and the cluster binaries)")
	hostile := flag.Bool("hostile-load", true, "create pods naming a hostile registry next to benign ones and read the webhook's memory (needs root and the cluster binaries)")
	injector := flag.Bool("injector", true, "time the injector's start next to the previous injector's and measure a watching injector against the store of a local cluster (needs root and the cluster binaries)")
	injectorOnly := flag.Bool("injector-only", false, "run only the injector measurement and print its rows; the pages are not written")
	podStart := flag.Bool("pod-start", true, "start pods one at a time per way of delivering secrets on a local cluster and time them to the application's first instruction (needs root and the cluster binaries)")
	loadOnly := flag.Bool("admission-load-only", false, "run only the admission load measurement and print its rows; the pages are not written")
	podStartOnly := flag.Bool("pod-start-only", false, "run only the pod start measurement and print its rows; the pages are not written")
	syncScale := flag.Bool("sync-scale", true, "measure the SecretsStoreSync controller at 1,000 resources on a local cluster (needs root and the cluster binaries)")
	csiScaleOnly := flag.Bool("csi-scale-only", false, "run only the CSI 1,000-volume measurement and print its rows; the pages are not written")
	syncScaleOnly := flag.Bool("sync-scale-only", false, "run only the SecretsStoreSync measurement and print its rows; the pages are not written")
	flag.Parse()
	// A signal cancels the measurements, so that the cluster they started is torn down.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	var err error
	switch {
	case *injectorOnly:
		err = runInjectorOnly(ctx)
	case *podStartOnly:
		err = runPodStartOnly(ctx)
	case *loadOnly:
		err = runLoadOnly(ctx)
	case *syncScaleOnly:
		err = runSyncScaleOnly(ctx)
	case *csiScaleOnly:
		err = runOnly(ctx, "CSI scale", func(ctx context.Context, root string) ([]result, pageMethods, error) {
			r, err := csiscale.Run(ctx, root, os.Stderr)
			return scaleResults(r), pageMethods{sc: &r}, err
		})
	default:
		err = run(ctx, *out, *benchtime, measurements{scale: *scale, load: *load, hostile: *hostile, injector: *injector, podStart: *podStart, syncScale: *syncScale})
	}
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// result is one measured figure. ru and valueRU are the Russian page's wording where it
// differs.
type result struct {
	what, value, target string
	met                 bool
	ru, valueRU         string
}

// figureRU is a result with its Russian wording.
func figureRU(what, ru, value, target string, met bool) result {
	return result{what: what, ru: ru, value: value, target: target, met: met}
}

// measurements says which of the measurements on a local cluster run.
type measurements struct{ scale, load, hostile, injector, podStart, syncScale bool }

func run(ctx context.Context, out, benchtime string, m measurements) error {
	var rs []result
	size, err := injectorSize(ctx)
	if err != nil {
		return err
	}
	rs = append(rs, figureRU("injector binary, stripped static (bytes)", i18n.RU("main.01"), strconv.FormatInt(size, 10), "≤ 9,000,000", size <= 9_000_000))
	benches, err := goBench(ctx, benchtime)
	if err != nil {
		return err
	}
	rs = append(rs, judge(benches)...)
	root, err := os.Getwd()
	if err != nil {
		return err
	}
	var al *admissionload.Result
	if m.load {
		r, err := admissionload.Run(ctx, root, os.Stderr)
		if err != nil {
			return fmt.Errorf("admission load measurement: %w", err)
		}
		al = &r
		rs = append(rs, loadResults(r)...)
	}
	var hl *hostileload.Result
	if m.hostile {
		r, err := hostileload.Run(ctx, root, os.Stderr)
		if err != nil {
			return fmt.Errorf("hostile registry measurement: %w", err)
		}
		hl = &r
		rs = append(rs, hostileResults(r)...)
	}
	var sc *csiscale.Result
	if m.scale {
		r, err := csiscale.Run(ctx, root, os.Stderr)
		if err != nil {
			return fmt.Errorf("csi scale measurement: %w", err)
		}
		sc = &r
		rs = append(rs, scaleResults(r)...)
	}
	var ij *injectorbench.Result
	if m.injector {
		r, err := injectorbench.Run(ctx, root, os.Stderr)
		if err != nil {
			return fmt.Errorf("injector measurement: %w", err)
		}
		ij = &r
		rs = append(rs, injectorResults(r)...)
	}
	var ps *podstart.Result
	if m.podStart {
		r, err := podstart.Run(ctx, root, os.Stderr)
		if err != nil {
			return fmt.Errorf("pod start measurement: %w", err)
		}
		ps = &r
		rs = append(rs, podStartResults(r)...)
	}
	var ss *syncscale.Result
	if m.syncScale {
		r, err := syncscale.Run(ctx, root, os.Stderr)
		if err != nil {
			return fmt.Errorf("sync scale measurement: %w", err)
		}
		ss = &r
		rs = append(rs, syncScaleResults(r)...)
	}
	methods := pageMethods{sc: sc, al: al, hl: hl, ij: ij, ps: ps, ss: ss}
	page := render(rs, benches, methods, false)
	if err := os.WriteFile(filepath.Join(out, "BENCHMARKS.md"), []byte(page), 0o644); err != nil { //nolint:gosec // G306: a documentation page
		return err
	}
	fmt.Print(page)
	return os.WriteFile(filepath.Join(out, "BENCHMARKS.ru.md"), []byte(render(rs, benches, methods, true)), 0o644) //nolint:gosec // G306: a documentation page
}

func injectorSize(ctx context.Context) (int64, error) {
	dst := filepath.Join(os.TempDir(), fmt.Sprintf("injector-size-%d", os.Getpid()))
	defer os.Remove(dst)
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", "-s -w", "-o", dst, "./images/injector") //nolint:gosec // G204: the go tool on a temporary file
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("build injector: %w: %s", err, b)
	}
	st, err := os.Stat(dst)
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

// bench is one benchmark line: name and its metrics by unit.
type bench struct {
	name    string
	metrics map[string]float64
}

var benchPackages = []string{
	"./internal/admission", "./internal/podmutate", "./internal/injector",
	"./internal/atomicdir", "./internal/csinode",
}

func goBench(ctx context.Context, benchtime string) ([]bench, error) {
	args := append([]string{"test", "-run", "^$", "-bench", ".", "-benchmem", "-benchtime", benchtime}, benchPackages...)
	cmd := exec.CommandContext(ctx, "go", args...) //nolint:gosec // G204: the go tool with fixed arguments
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, os.Stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("go test -bench: %w: %s", err, buf.String())
	}
	var out []bench
	sc := bufio.NewScanner(&buf)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		b := bench{name: strings.TrimSuffix(f[0], "-"+strconv.Itoa(runtime.GOMAXPROCS(0))), metrics: map[string]float64{}}
		for i := 2; i+1 < len(f); i += 2 {
			if v, err := strconv.ParseFloat(f[i], 64); err == nil {
				b.metrics[f[i+1]] = v
			}
		}
		out = append(out, b)
	}
	return out, nil
}

func find(bs []bench, name string) (bench, bool) {
	for _, b := range bs {
		if b.name == name {
			return b, true
		}
	}
	return bench{}, false
}

func judge(bs []bench) []result {
	var rs []result
	if b, ok := find(bs, "BenchmarkReview"); ok {
		p99 := time.Duration(b.metrics["p99-ns"])
		rs = append(rs, figureRU("webhook review, opted-in pod with command: p99", i18n.RU("main.02"), p99.String(), "≤ 1ms", p99 > 0 && p99 <= time.Millisecond))
		rs = append(rs, figureRU("webhook review: mean", i18n.RU("main.03"), time.Duration(b.metrics["ns/op"]).String(), "", true))
	}
	if b, ok := find(bs, "BenchmarkReviewNRI"); ok {
		p99 := time.Duration(b.metrics["p99-ns"])
		rs = append(rs, figureRU("webhook review, opted-in pod with env-delivery: NRI, no command: p99", i18n.RU("main.13"), p99.String(), "≤ 1ms", p99 > 0 && p99 <= time.Millisecond))
		rs = append(rs, figureRU("webhook review, env-delivery: NRI: mean", i18n.RU("main.14"), time.Duration(b.metrics["ns/op"]).String(), "", true))
	}
	if b, ok := find(bs, "BenchmarkReviewParallel"); ok && b.metrics["ns/op"] > 0 {
		rps := 1e9 / b.metrics["ns/op"]
		rs = append(rs, figureRU(fmt.Sprintf("webhook reviews/s on %d cores", runtime.NumCPU()), fmt.Sprintf(i18n.RU("main.04"), runtime.NumCPU()), fmt.Sprintf("%.0f", rps), "≥ 5,000", rps >= 5000))
	}
	if b, ok := find(bs, "BenchmarkResolve"); ok {
		d := time.Duration(b.metrics["ns/op"])
		rs = append(rs, figureRU("injector overhead beyond store round trips (20 templates, 3 paths)", i18n.RU("main.05"), d.String(), "≤ 5ms", d <= 5*time.Millisecond))
	}
	if w, ok := find(bs, "BenchmarkPublishWarm"); ok {
		if r, ok := find(bs, "BenchmarkStoreRead"); ok {
			limit := time.Duration(1.2*r.metrics["ns/op"]) + 5*time.Millisecond
			d := time.Duration(w.metrics["ns/op"])
			rs = append(rs, figureRU("CSI publish, warm token (one store read: "+time.Duration(r.metrics["ns/op"]).String()+")",
				i18n.RU("main.06")+time.Duration(r.metrics["ns/op"]).String()+")",
				d.String(), "≤ 1.2 × read + 5ms = "+limit.String(), d <= limit))
		}
	}
	return rs
}

// pageMethods are the measurements on a local cluster that ran; each explains its method
// under the table.
type pageMethods struct {
	sc *csiscale.Result
	al *admissionload.Result
	hl *hostileload.Result
	ij *injectorbench.Result
	ps *podstart.Result
	ss *syncscale.Result
}

func render(rs []result, bs []bench, m pageMethods, ru bool) string {
	var b strings.Builder
	title, intro, hdr := "Benchmarks", "Measured by `make bench` on %s (%d cores, %s). Targets come from the design; a missed target is marked.", "| what | measured | target | met |\n|---|---|---|---|\n"
	if ru {
		title, intro, hdr = i18n.RU("main.07"), i18n.RU("main.08"), i18n.RU("main.09")
	}
	host, _ := os.Hostname()
	fmt.Fprintf(&b, "---\ntitle: %q\n---\n\n", title)
	fmt.Fprintf(&b, intro+"\n\n", host, runtime.NumCPU(), runtime.Version())
	b.WriteString(hdr)
	for _, r := range rs {
		met := "yes"
		if ru {
			met = i18n.RU("main.10")
		}
		if !r.met {
			met = "**no**"
			if ru {
				met = i18n.RU("main.11")
			}
		}
		if r.target == "" {
			met = ""
		}
		what, value := r.what, r.value
		if ru && r.ru != "" {
			what = r.ru
		}
		if ru && r.valueRU != "" {
			value = r.valueRU
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", what, value, r.target, met)
	}
	if m.al != nil {
		b.WriteString("\n" + loadMethod(*m.al, ru) + "\n")
	}
	if m.hl != nil {
		b.WriteString("\n" + hostileMethod(*m.hl, ru) + "\n")
	}
	if m.sc != nil {
		b.WriteString("\n" + scaleMethod(*m.sc, ru) + "\n")
	}
	if m.ij != nil {
		b.WriteString("\n" + injectorMethod(ru) + "\n")
	}
	if m.ps != nil {
		b.WriteString("\n" + podstart.Method(*m.ps, ru) + "\n")
	}
	if m.ss != nil {
		b.WriteString("\n" + syncScaleMethod(*m.ss, ru) + "\n")
	}
	if ru {
		b.WriteString(i18n.RU("main.12"))
	} else {
		b.WriteString("\n## All Go benchmarks\n\n")
	}
	b.WriteString("| benchmark | ns/op | B/op | allocs/op |\n|---|---|---|---|\n")
	for _, x := range bs {
		fmt.Fprintf(&b, "| %s | %.0f | %.0f | %.0f |\n", x.name, x.metrics["ns/op"], x.metrics["B/op"], x.metrics["allocs/op"])
	}
	return b.String()
}

// runOnly runs one measurement alone and prints its rows and method in both languages; the
// pages are not written.
func runOnly(ctx context.Context, what string, measure func(ctx context.Context, root string) ([]result, pageMethods, error)) error {
	root, err := os.Getwd()
	if err != nil {
		return err
	}
	rs, m, err := measure(ctx, root)
	if err != nil {
		return fmt.Errorf("%s measurement: %w", what, err)
	}
	fmt.Print(render(rs, nil, m, false), "\n", render(rs, nil, m, true))
	return nil
}
