package natsbus

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/filedge/filedge/internal/flock"
)

// LockFile is the name of the file in an embedded server's data dir that
// the process using the dir holds locked, and that says which process it is.
const LockFile = "filedge.lock"

// Holder describes the process that holds a data dir. It is written into
// the lock file as JSON when the lock is taken.
type Holder struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	Command string    `json:"command"`
	Started time.Time `json:"started"`
}

// String names the holder for messages: "process 4242 (filedge run -c
// p.yaml) on host h, started 2026-12-07T02:46:32Z".
func (h Holder) String() string {
	if h.PID == 0 {
		return "another process (the lock file does not say which)"
	}
	return fmt.Sprintf("process %d (%s) on host %s, started %s", h.PID, h.Command, h.Host, h.Started.Format(time.RFC3339))
}

// dirLock is an exclusive lock on a data dir, held from lockDir until
// release (or until the process dies: the kernel releases it then).
type dirLock struct {
	f *os.File
}

// lockDir takes the exclusive lock of dir, without waiting, and writes this
// process's Holder into the lock file. It returns a *LockedError when
// another process holds it, and an error wrapping errors.ErrUnsupported on
// platforms without file locks.
func lockDir(dir string) (*dirLock, error) {
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("natsbus: lock the data dir: %w", err)
	}
	held, err := flock.TryLock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("natsbus: lock %s: %w", path, err)
	}
	if !held {
		f.Close()
		return nil, &LockedError{Dir: dir, Holder: readHolder(path)}
	}
	if err := writeHolder(f); err != nil {
		f.Close() // closing the file releases the lock
		return nil, fmt.Errorf("natsbus: write %s: %w", path, err)
	}
	return &dirLock{f: f}, nil
}

// release gives the lock back. The lock file stays: removing it would let a
// process that opened it just before take a lock on a file no one else
// sees.
func (l *dirLock) release() {
	if l != nil && l.f != nil {
		l.f.Close()
		l.f = nil
	}
}

func writeHolder(f *os.File) error {
	h := Holder{PID: os.Getpid(), Command: command(), Started: time.Now().UTC().Truncate(time.Second)}
	h.Host, _ = os.Hostname()
	data, err := json.Marshal(h)
	if err != nil {
		return err
	}
	if err := f.Truncate(0); err != nil {
		return err
	}
	if _, err := f.WriteAt(append(data, '\n'), 0); err != nil {
		return err
	}
	return f.Sync()
}

// command is this process's command line, the program by its base name.
func command() string {
	if len(os.Args) == 0 {
		return "?"
	}
	args := append([]string{filepath.Base(os.Args[0])}, os.Args[1:]...)
	return strings.Join(args, " ")
}

// holderWait bounds how long readHolder waits for a holder that has just
// taken the lock to write who it is.
const holderWait = 2 * time.Second

// readHolder reads the Holder a lock file names, or the zero Holder when it
// cannot be read.
func readHolder(path string) Holder {
	deadline := time.Now().Add(holderWait)
	for {
		var h Holder
		data, err := os.ReadFile(path)
		if err == nil && json.Unmarshal(data, &h) == nil && h.PID != 0 {
			return h
		}
		if time.Now().After(deadline) {
			return Holder{}
		}
		time.Sleep(50 * time.Millisecond)
	}
}
