package compiled

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// CacheEnv is the environment variable that names the cache folder
// itself, overriding the default place.
const CacheEnv = "KILN_CACHE"

// CacheDir returns the folder compiled programs are cached in: $KILN_CACHE
// when set, else kiln/ under $XDG_CACHE_HOME, else kiln/ under the user's
// cache folder (os.UserCacheDir).
func CacheDir() (string, error) {
	if d := os.Getenv(CacheEnv); d != "" {
		return d, nil
	}
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "kiln"), nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache folder for compiled models (%v); set %s", err, CacheEnv)
	}
	return filepath.Join(d, "kiln"), nil
}

// exeName is the executable's name inside a cache entry. Its presence
// marks a complete entry: it is built last, and the entry is renamed into
// place only after.
const exeName = "kiln-compiled"

// hasher accumulates a cache key from length-prefixed parts, so that no
// two different lists of parts give the same key.
type hasher struct{ h []byte }

func newHasher() *hasher { return &hasher{} }

func (k *hasher) add(parts ...string) {
	for _, p := range parts {
		k.h = append(k.h, fmt.Sprintf("%d:", len(p))...)
		k.h = append(k.h, p...)
	}
}

// sum is the key: the hex sha256 of the parts, shortened to 32 digits
// (128 bits) to keep paths short.
func (k *hasher) sum() string {
	s := sha256.Sum256(k.h)
	return hex.EncodeToString(s[:16])
}

// publish renames the finished folder tmp to dst. When another process
// published dst first, tmp is removed and dst (equal by construction: the
// same key) is used.
func publish(tmp, dst string) error {
	err := os.Rename(tmp, dst)
	if err == nil {
		return nil
	}
	if _, serr := os.Stat(filepath.Join(dst, exeName)); serr == nil {
		os.RemoveAll(tmp)
		return nil
	}
	if errors.Is(err, fs.ErrExist) || errors.Is(err, fs.ErrPermission) {
		// A stale, incomplete dst (a folder left by a crash between
		// mkdir and rename cannot happen, but a hand-made one can): move
		// it aside and retry once.
		if rerr := os.RemoveAll(dst); rerr == nil {
			if err = os.Rename(tmp, dst); err == nil {
				return nil
			}
		}
	}
	os.RemoveAll(tmp)
	return fmt.Errorf("storing the compiled program in the cache: %w", err)
}

// indexFile lists an entry's units: "ok NAME PACKAGE OUTPUTS" or
// "failed NAME REASON" lines, so that a cached entry answers like a fresh
// build.
const indexFile = "units.txt"

func writeIndex(dir string, units []*genUnit, errs map[string]error) error {
	var b strings.Builder
	for _, u := range units {
		fmt.Fprintf(&b, "ok %s %s %d\n", strconv.Quote(u.name), u.pkg, len(u.outTypes))
	}
	names := make([]string, 0, len(errs))
	for n := range errs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(&b, "failed %s %s\n", strconv.Quote(n), strconv.Quote(errs[n].Error()))
	}
	return os.WriteFile(filepath.Join(dir, indexFile), []byte(b.String()), 0o666)
}

// readEntry reads a published entry's index.
func readEntry(dir string) (*Program, map[string]error, error) {
	b, err := os.ReadFile(filepath.Join(dir, indexFile))
	if err != nil {
		return nil, nil, err
	}
	p := &Program{Exe: filepath.Join(dir, exeName), Dir: dir, units: map[string]*unitInfo{}}
	errs := map[string]error{}
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		kind, rest, _ := strings.Cut(l, " ")
		name, rest, err := unquotePrefix(rest)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", indexFile, err)
		}
		switch kind {
		case "ok":
			var pkg string
			var n int
			if _, err := fmt.Sscanf(rest, "%s %d", &pkg, &n); err != nil {
				return nil, nil, fmt.Errorf("%s: %q: %w", indexFile, l, err)
			}
			p.units[name] = &unitInfo{pkg: pkg, outputs: n}
		case "failed":
			reason, _, err := unquotePrefix(rest)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", indexFile, err)
			}
			errs[name] = errors.New(reason)
		default:
			return nil, nil, fmt.Errorf("%s: bad line %q", indexFile, l)
		}
	}
	return p, errs, nil
}

// unquotePrefix reads a Go-quoted string at the start of s and returns it
// and the rest, trimmed.
func unquotePrefix(s string) (string, string, error) {
	s = strings.TrimSpace(s)
	q, err := strconv.QuotedPrefix(s)
	if err != nil {
		return "", "", err
	}
	v, err := strconv.Unquote(q)
	return v, strings.TrimSpace(s[len(q):]), err
}
