package guard

import (
	"archive/zip"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The ransomware simulator and its benign twins run as child processes (the
// test binary re-executed with GUARD_SIM set) so that the shield can kill
// them like real malware. They only touch the folder they are given.

// simFiles lists the regular files under dir in walk order (sorted by
// name, as NTFS and most tools return them), including decoys.
func simFiles(dir string) []string {
	var out []string
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			out = append(out, p)
		}
		return nil
	})
	return out
}

func encryptBytes(b []byte) []byte {
	key := make([]byte, 32)
	iv := make([]byte, 16)
	rand.Read(key)
	rand.Read(iv)
	blk, _ := aes.NewCipher(key)
	out := make([]byte, len(b))
	cipher.NewCTR(blk, iv).XORKeyStream(out, b)
	return out
}

// runSimulator is the child's main. It returns the exit code.
func runSimulator(variant string, args []string) int {
	dir := args[0]
	switch variant {
	case "inplace":
		for _, f := range simFiles(dir) {
			inplace(f)
		}
	case "slow":
		for _, f := range simFiles(dir) {
			inplace(f)
			time.Sleep(2 * time.Second)
		}
	case "newext":
		for _, f := range simFiles(dir) {
			b, err := os.ReadFile(f)
			if err != nil {
				continue
			}
			os.WriteFile(f+".locked", encryptBytes(b), 0o644)
			os.Remove(f)
		}
	case "bitflip":
		for _, f := range simFiles(dir) {
			b, err := os.ReadFile(f)
			if err != nil {
				continue
			}
			for i := range b {
				b[i] ^= 0xFF
			}
			os.WriteFile(f, b, 0o644)
		}
	case "intermittent":
		// About 6% of each file: a 2 KiB stripe every 32 KiB after a kept
		// 512-byte header, as partial-encryption families do.
		for _, f := range simFiles(dir) {
			b, err := os.ReadFile(f)
			if err != nil || len(b) < 2560 {
				continue
			}
			for off := 512; off+2048 <= len(b); off += 32 << 10 {
				copy(b[off:off+2048], encryptBytes(b[off:off+2048]))
			}
			os.WriteFile(f, b, 0o644)
		}
	case "fanout":
		// Four workers, each encrypting every fourth file.
		var cmds []*exec.Cmd
		for i := 0; i < 4; i++ {
			c := exec.Command(os.Args[0], "-test.run=^$")
			c.Env = append(os.Environ(), "GUARD_SIM=fanout-worker", "GUARD_SIM_ARGS="+dir+"|"+strconv.Itoa(i))
			if c.Start() == nil {
				cmds = append(cmds, c)
			}
		}
		for _, c := range cmds {
			c.Wait()
		}
	case "fanout-worker":
		k, _ := strconv.Atoi(args[1])
		for i, f := range simFiles(dir) {
			if i%4 == k {
				inplace(f)
			}
		}
	case "notes":
		dirs := map[string]bool{}
		for _, f := range simFiles(dir) {
			d := filepath.Dir(f)
			if !dirs[d] {
				dirs[d] = true
				os.WriteFile(filepath.Join(d, "HOW_TO_DECRYPT_FILES.txt"), []byte("Your files are encrypted. Pay 2 BTC to ...\n"), 0o644)
			}
			inplace(f)
		}
	case "inhibit":
		// Destroy the backups first (as ransomware deletes shadow copies),
		// then encrypt.
		exec.Command("rm", "-rf", args[1]).Run()
		for _, f := range simFiles(dir) {
			inplace(f)
		}

	// Benign twins.
	case "tar":
		exec.Command("tar", "czf", filepath.Join(dir, "backup.tgz"), "-C", dir, "--exclude=backup.tgz", ".").Run()
	case "zip":
		zipFolder(dir, filepath.Join(dir, "archive.zip"))
	case "gpg":
		// Encrypt each document into NAME.gpg next to it, keeping it (what a
		// user does before mailing records).
		for _, f := range simFiles(dir) {
			if IsCanary(f) {
				continue
			}
			b, _ := os.ReadFile(f)
			os.WriteFile(f+".gpg", encryptBytes(b), 0o600)
		}
	case "rsync":
		// Copy into a second folder as rsync does: write a hidden temporary
		// file, then rename it over the destination.
		dst := args[1]
		for _, f := range simFiles(dir) {
			rel, _ := filepath.Rel(dir, f)
			if IsCanary(f) {
				continue
			}
			target := filepath.Join(dst, rel)
			os.MkdirAll(filepath.Dir(target), 0o755)
			tmp := filepath.Join(filepath.Dir(target), "."+filepath.Base(target)+".Xq3b9Z")
			b, _ := os.ReadFile(f)
			os.WriteFile(tmp, b, 0o644)
			os.Rename(tmp, target)
		}
	case "git":
		gitCheckout(dir)
	case "build":
		// Object files written twice (a rebuild overwrites them).
		for pass := 0; pass < 2; pass++ {
			for i := 0; i < 60; i++ {
				obj := make([]byte, 24<<10)
				rand.Read(obj[4096:])
				copy(obj, "\x7fELF\x02\x01\x01")
				os.MkdirAll(filepath.Join(dir, "build"), 0o755)
				os.WriteFile(filepath.Join(dir, "build", fmt.Sprintf("unit%03d.o", i)), obj, 0o644)
			}
		}
	case "photos":
		// Export: new JPEGs, then re-encode existing ones in place.
		os.MkdirAll(filepath.Join(dir, "export"), 0o755)
		for i := 0; i < 40; i++ {
			jpg := make([]byte, 64<<10)
			rand.Read(jpg)
			copy(jpg, []byte{0xFF, 0xD8, 0xFF, 0xE0})
			os.WriteFile(filepath.Join(dir, "export", fmt.Sprintf("IMG_%04d.jpg", i)), jpg, 0o644)
		}
		for pass := 0; pass < 2; pass++ {
			for i := 0; i < 40; i++ {
				jpg := make([]byte, 64<<10)
				rand.Read(jpg)
				copy(jpg, []byte{0xFF, 0xD8, 0xFF, 0xE0})
				os.WriteFile(filepath.Join(dir, "export", fmt.Sprintf("IMG_%04d.jpg", i)), jpg, 0o644)
			}
		}
	case "database":
		databaseWrites(dir)
	default:
		fmt.Fprintln(os.Stderr, "unknown simulator variant", variant)
		return 2
	}
	return 0
}

func inplace(f string) {
	b, err := os.ReadFile(f)
	if err != nil {
		return
	}
	os.WriteFile(f, encryptBytes(b), 0o644)
}

func zipFolder(dir, out string) {
	zf, err := os.Create(out)
	if err != nil {
		return
	}
	zw := zip.NewWriter(zf)
	for _, f := range simFiles(dir) {
		if f == out {
			continue
		}
		rel, _ := filepath.Rel(dir, f)
		w, err := zw.Create(rel)
		if err != nil {
			continue
		}
		src, err := os.Open(f)
		if err == nil {
			io.Copy(w, src)
			src.Close()
		}
	}
	zw.Close()
	zf.Close()
}

// gitCheckout switches a repository between two branches that differ in
// every document, as a developer or a records clerk pulling updates does.
func gitCheckout(dir string) {
	run := func(args ...string) {
		c := exec.Command("git", args...)
		c.Dir = dir
		c.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.org", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.org")
		c.Run()
	}
	files := simFiles(dir)
	sort.Strings(files)
	run("init", "-q", "-b", "main")
	run("add", "-A")
	run("commit", "-q", "-m", "v1")
	run("checkout", "-q", "-b", "v2")
	for _, f := range files {
		if IsCanary(f) || strings.Contains(f, string(os.PathSeparator)+".git"+string(os.PathSeparator)) {
			continue
		}
		b, _ := os.ReadFile(f)
		os.WriteFile(f, append(b, "\nRevised by the records office.\n"...), 0o644)
	}
	run("commit", "-q", "-am", "v2")
	run("checkout", "-q", "main")
	run("checkout", "-q", "v2")
	run("checkout", "-q", "main")
}
