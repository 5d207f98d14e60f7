package files

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// syncDir makes the entries created, renamed or removed in dir durable. On
// Windows, which cannot open a folder for syncing, NTFS journals them.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync folder %s: %w", dir, err)
	}
	return nil
}

// mkdirs creates dir and its missing parents, and syncs the folder of each
// one it creates, so that a file renamed into dir later is not lost with
// its folder in a crash.
func mkdirs(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	parent := filepath.Dir(dir)
	if parent != dir {
		if err := mkdirs(parent); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil
		}
		return err
	}
	return syncDir(parent)
}

// writeFileAtomic writes data to dst so that dst is either what it was or
// data, whatever happens: data goes to a new file in tmp, which is synced,
// renamed over dst, and dst's folder synced.
func writeFileAtomic(tmp, dst string, data []byte) error {
	f, err := createTemp(tmp, "write-", "")
	if err != nil {
		return err
	}
	name := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = mkdirs(filepath.Dir(dst))
	}
	if err == nil {
		err = os.Rename(name, dst)
	}
	if err != nil {
		os.Remove(name)
		return fmt.Errorf("write %s: %w", dst, err)
	}
	return syncDir(filepath.Dir(dst))
}

// createTemp creates a new file in dir named prefix, a random number and
// suffix, as os.CreateTemp does but readable by others as the umask
// allows (0644 by default): it becomes an output or a bookkeeping file
// that other users' readers open.
func createTemp(dir, prefix, suffix string) (*os.File, error) {
	for range 100 {
		var b [8]byte
		rand.Read(b[:])
		name := filepath.Join(dir, prefix+hex.EncodeToString(b[:])+suffix)
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if !errors.Is(err, fs.ErrExist) {
			return f, err
		}
	}
	return nil, fmt.Errorf("create a temporary file in %s: too many names taken", dir)
}

// writeJSON writes v as JSON to dst with writeFileAtomic.
func writeJSON(tmp, dst string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("write %s: %w", dst, err)
	}
	return writeFileAtomic(tmp, dst, append(data, '\n'))
}

// jsonText is s as it reads back from JSON: encoding/json writes invalid
// UTF-8 as U+FFFD. The bookkeeping files record names for people and for a
// check that a file is the one its name says; their names are made of
// every byte.
func jsonText(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }

// readJSON reads the JSON file at path into v; found is false when the file
// does not exist.
func readJSON(path string, v any) (found bool, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return false, fmt.Errorf("read %s: %w", path, err)
	}
	return true, nil
}

// removeIfExists removes the file at path; a file already gone is no error.
func removeIfExists(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
