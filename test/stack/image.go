// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package stack

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Image is a container image assembled from host files, without a registry or a Docker
// engine: one layer, written as an OCI image layout archive that `ctr images import` reads.
type Image struct {
	Name       string            // full reference, e.g. stack.local/busybox:1
	Files      map[string]string // path in the image -> file on the host (copied with its mode)
	Symlinks   map[string]string // path in the image -> link target
	Dirs       map[string]os.FileMode
	Entrypoint []string
	Cmd        []string
	Env        []string
	User       string
}

// WriteOCI writes the image as an OCI layout tar archive at dst.
func (im Image) WriteOCI(dst string) error {
	img, err := im.Build()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp(filepath.Dir(dst), ".oci-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	lp, err := layout.Write(dir, empty.Index)
	if err != nil {
		return err
	}
	tag := im.Name[strings.LastIndex(im.Name, ":")+1:]
	err = lp.AppendImage(img, layout.WithAnnotations(map[string]string{
		"io.containerd.image.name":          im.Name,
		"org.opencontainers.image.ref.name": tag,
	}), layout.WithPlatform(v1.Platform{OS: "linux", Architecture: runtime.GOARCH}))
	if err != nil {
		return err
	}
	return tarDir(dir, dst)
}

// Build assembles the image in memory (to write it, or to push it to a registry).
func (im Image) Build() (v1.Image, error) {
	layerTar, err := im.layer()
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	})
	if err != nil {
		return nil, err
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", runtime.GOARCH
	cf.Created = v1.Time{Time: time.Unix(0, 0).UTC()}
	cf.Config.Entrypoint, cf.Config.Cmd, cf.Config.User = im.Entrypoint, im.Cmd, im.User
	cf.Config.Env = append([]string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}, im.Env...)
	return mutate.ConfigFile(img, cf)
}

// layer builds the single filesystem layer, entries sorted so the digest is reproducible.
func (im Image) layer() ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	epoch := time.Unix(0, 0)
	dirs := map[string]os.FileMode{}
	for p, m := range im.Dirs {
		dirs[p] = m
	}
	for p := range im.Files {
		addParents(dirs, p)
	}
	for p := range im.Symlinks {
		addParents(dirs, p)
	}
	for _, p := range sortedKeys(dirs) {
		mode := int64(dirs[p].Perm())
		if dirs[p]&os.ModeSticky != 0 {
			mode |= 0o1000
		}
		h := &tar.Header{Typeflag: tar.TypeDir, Name: strings.TrimPrefix(p, "/") + "/", Mode: mode, ModTime: epoch}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
	}
	for _, p := range sortedKeys(im.Files) {
		b, err := os.ReadFile(im.Files[p])
		if err != nil {
			return nil, fmt.Errorf("image %s: %w", im.Name, err)
		}
		st, err := os.Stat(im.Files[p])
		if err != nil {
			return nil, err
		}
		h := &tar.Header{Typeflag: tar.TypeReg, Name: strings.TrimPrefix(p, "/"), Mode: int64(st.Mode().Perm()), Size: int64(len(b)), ModTime: epoch}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(b); err != nil {
			return nil, err
		}
	}
	for _, p := range sortedKeys(im.Symlinks) {
		h := &tar.Header{Typeflag: tar.TypeSymlink, Name: strings.TrimPrefix(p, "/"), Linkname: im.Symlinks[p], Mode: 0o777, ModTime: epoch}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func addParents(dirs map[string]os.FileMode, p string) {
	for d := path.Dir(p); d != "/" && d != "."; d = path.Dir(d) {
		if _, ok := dirs[d]; !ok {
			dirs[d] = 0o755
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// tarDir archives the tree under dir as dst, replacing dst only once the archive is
// complete. The tree is read through an os.Root, so no link in it leads outside dir.
func tarDir(dir, dst string) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	tmp := dst + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(f)
	fsys := root.FS()
	err = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == "." {
			return err
		}
		return tarEntry(tw, fsys, p, d)
	})
	if err == nil {
		err = tw.Close()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, dst)
}

// tarEntry writes the header of p and, for a regular file, its content.
func tarEntry(tw *tar.Writer, fsys fs.FS, p string, d fs.DirEntry) error {
	info, err := d.Info()
	if err != nil {
		return err
	}
	h, err := tar.FileInfoHeader(info, "")
	if err != nil {
		return err
	}
	h.Name = p
	if d.IsDir() {
		h.Name += "/"
	}
	if err := tw.WriteHeader(h); err != nil {
		return err
	}
	if !info.Mode().IsRegular() {
		return nil
	}
	b, err := fs.ReadFile(fsys, p)
	if err != nil {
		return err
	}
	_, err = tw.Write(b)
	return err
}

// ImportImage imports an OCI archive into the stack's containerd (CRI namespace), so pods
// can use it with imagePullPolicy: Never.
func (s *Stack) ImportImage(ctx context.Context, archive string) error {
	return s.ctr(ctx, "images", "import", "--no-unpack=false", archive)
}

// BuildStatic builds a static Go program (CGO off, stripped) from pkg into dst.
func BuildStatic(ctx context.Context, repoRoot, pkg, dst string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", "-s -w", "-o", dst, pkg)
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %w: %s", pkg, err, out)
	}
	return nil
}

// importBaseImages builds and imports the sandbox (pause) image and a busybox image made
// from Debian's busybox-static.
func (s *Stack) importBaseImages(ctx context.Context) error {
	dir := filepath.Join(s.Dir, "images")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	pause := filepath.Join(dir, "pause")
	if err := BuildStatic(ctx, s.RepoRoot, "./test/stack/pause", pause); err != nil {
		return err
	}
	images := []Image{
		{Name: PauseImage, Files: map[string]string{"/pause": pause}, Entrypoint: []string{"/pause"}},
		BusyboxImageSpec(ctx),
	}
	for _, im := range images {
		archive := filepath.Join(dir, strings.NewReplacer("/", "_", ":", "_").Replace(im.Name)+".tar")
		if err := im.WriteOCI(archive); err != nil {
			return fmt.Errorf("build image %s: %w", im.Name, err)
		}
		if err := s.ImportImage(ctx, archive); err != nil {
			return err
		}
	}
	return nil
}

// BusyboxImageSpec is Debian's static busybox with a symlink per applet, named BusyboxImage.
func BusyboxImageSpec(ctx context.Context) Image {
	const bb = "/bin/busybox"
	im := Image{
		Name:     BusyboxImage,
		Files:    map[string]string{bb: "/bin/busybox"},
		Symlinks: map[string]string{},
		Dirs:     map[string]os.FileMode{"/tmp": 0o777 | os.ModeSticky, "/etc": 0o755, "/root": 0o700},
		Cmd:      []string{"/bin/sh"},
	}
	if out, err := exec.CommandContext(ctx, "/bin/busybox", "--list").Output(); err == nil {
		for _, a := range strings.Fields(string(out)) {
			if a != "busybox" {
				im.Symlinks["/bin/"+a] = "busybox"
			}
		}
	}
	return im
}

// BuildGoImage builds the Go program pkg (a path relative to the repository) as a static
// binary and imports an image name whose entrypoint is that binary at /<bin>. The programs
// more, if any, are built too and put at /<last element of the package path>.
func (s *Stack) BuildGoImage(ctx context.Context, name, pkg, bin string, more ...string) error {
	dir := filepath.Join(s.Dir, "images")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	local := filepath.Join(dir, bin)
	if err := BuildStatic(ctx, s.RepoRoot, pkg, local); err != nil {
		return err
	}
	im := Image{Name: name, Files: map[string]string{"/" + bin: local}, Entrypoint: []string{"/" + bin}}
	for _, p := range more {
		f := filepath.Join(dir, path.Base(p))
		if err := BuildStatic(ctx, s.RepoRoot, p, f); err != nil {
			return err
		}
		im.Files["/"+path.Base(p)] = f
	}
	archive := filepath.Join(dir, bin+".tar")
	if err := im.WriteOCI(archive); err != nil {
		return fmt.Errorf("build image %s: %w", name, err)
	}
	return s.ImportImage(ctx, archive)
}
