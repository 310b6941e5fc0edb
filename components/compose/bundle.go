package compose

import (
	"archive/tar"
	"bytes"
	"encoding/base64"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"github.com/hoodcloud/infra/internal/contenthash"
)

// MaxBundleBytes bounds the bundle: it travels on a command's stdin and is kept (encrypted) in state.
const MaxBundleBytes = 8 << 20

// BundleFile is one file of the application bundle.
type BundleFile struct {
	// Name is the slash-separated path relative to the bundle directory.
	Name string
	// Mode is 0755 for executables and 0644 for everything else: only the executable bit survives, so a
	// checkout's umask never changes the hash.
	Mode    int64
	Content []byte
}

// Bundle is an application bundle read from disk, its files sorted by name.
type Bundle struct {
	Files []BundleFile
}

// ReadBundle reads every regular file under dir. Symbolic links and special files are refused (the hash
// must be of what is shipped), as is a .env (the .env is rendered from configuration, never shipped
// from a checkout) and the override's name; .git directories are skipped.
func ReadBundle(dir string) (*Bundle, error) {
	st, err := os.Stat(dir)
	if err != nil || !st.IsDir() {
		return nil, fmt.Errorf("hoodcloud:bundleDir: expected an existing directory, found %q", dir)
	}
	b := &Bundle{}
	var total int64
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		switch {
		case rel == ".":
			return nil
		case d.IsDir() && d.Name() == ".git":
			return filepath.SkipDir
		case d.IsDir():
			return nil
		case rel == EnvFileName || rel == OverrideFileName:
			return fmt.Errorf("hoodcloud:bundleDir: expected no %s in the bundle (it is rendered from configuration), found %s", rel, p)
		case !d.Type().IsRegular():
			return fmt.Errorf("hoodcloud:bundleDir: expected regular files only, found %s (%s)", p, d.Type())
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		total += info.Size()
		if total > MaxBundleBytes {
			return fmt.Errorf("hoodcloud:bundleDir: expected at most %d bytes of files, found more (at %s)", MaxBundleBytes, rel)
		}
		content, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		mode := int64(0o644)
		if info.Mode()&0o111 != 0 {
			mode = 0o755
		}
		b.Files = append(b.Files, BundleFile{Name: rel, Mode: mode, Content: content})
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(b.Files) == 0 {
		return nil, fmt.Errorf("hoodcloud:bundleDir: expected compose files in %s, found an empty directory", dir)
	}
	sortFiles(b.Files)
	return b, nil
}

// File returns the named file, or false.
func (b *Bundle) File(name string) (BundleFile, bool) {
	for _, f := range b.Files {
		if f.Name == name {
			return f, true
		}
	}
	return BundleFile{}, false
}

// Hash is the content hash of the bundle: every file's name, mode and content, in name order. It is
// independent of the directory's location, of mtimes and of the order the filesystem lists files in.
func (b *Bundle) Hash() string {
	parts := make([]string, 0, 3*len(b.Files))
	for _, f := range sorted(b.Files) {
		parts = append(parts, f.Name, strconv.FormatInt(f.Mode, 8), string(f.Content))
	}
	return contenthash.Of(parts...)
}

// Tar writes the bundle plus extra files (the rendered .env) as one tar stream: names sorted, fixed
// mtime, owner root, so the same files always give the same bytes.
func (b *Bundle) Tar(extra ...BundleFile) ([]byte, error) {
	files := sorted(append(append([]BundleFile(nil), b.Files...), extra...))
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for i, f := range files {
		if i > 0 && files[i-1].Name == f.Name {
			return nil, fmt.Errorf("bundle: file %s twice", f.Name)
		}
		hdr := &tar.Header{
			Typeflag: tar.TypeReg,
			Name:     f.Name,
			Mode:     f.Mode,
			Size:     int64(len(f.Content)),
			ModTime:  time.Unix(0, 0).UTC(),
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.Content); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// UploadStream is the upload step's stdin: the base64 of the tar of the bundle, its .env and the mount
// labels' override.
func (b *Bundle) UploadStream(env, override string) (string, error) {
	t, err := b.Tar(BundleFile{Name: EnvFileName, Mode: 0o644, Content: []byte(env)},
		BundleFile{Name: OverrideFileName, Mode: 0o644, Content: []byte(override)})
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(t), nil
}

// Only returns the bundle restricted to the named files. A stack ships and hashes only its compose files
// and the bundle files its services mount, so editing another stack's file never redeploys it.
func (b *Bundle) Only(names []string) *Bundle {
	keep := map[string]bool{}
	for _, n := range names {
		keep[n] = true
	}
	out := &Bundle{}
	for _, f := range b.Files {
		if keep[f.Name] {
			out.Files = append(out.Files, f)
		}
	}
	return out
}

func sorted(files []BundleFile) []BundleFile {
	out := append([]BundleFile(nil), files...)
	sortFiles(out)
	return out
}

func sortFiles(files []BundleFile) {
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
}
