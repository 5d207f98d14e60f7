package health

import (
	"context"
	"errors"
	"sync"
	"time"
)

// State is the state of a Component.
type State string

const (
	// Starting: the part has not been reached yet.
	Starting State = "starting"
	// Up: the part works.
	Up State = "up"
	// Down: the part fails; the component's last error says why.
	Down State = "down"
)

// probeTimeout bounds each probe that a readiness report runs.
const probeTimeout = 2 * time.Second

// Registry holds the components of one process. It is safe for concurrent
// use.
type Registry struct {
	redact func(string) string
	now    func() time.Time

	mu      sync.Mutex
	comps   []*Component
	stopped error // why the stages stopped, once they have
}

// New returns an empty registry. redact, when not nil, rewrites every error
// message before the registry shows or logs it (it removes secrets).
func New(redact func(string) string) *Registry {
	if redact == nil {
		redact = func(s string) string { return s }
	}
	return &Registry{redact: redact, now: time.Now}
}

// Add adds a component named name, in the Starting state, and returns it.
// Reports list components in the order they were added.
func (r *Registry) Add(name string) *Component {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := &Component{r: r, name: name, state: Starting, since: r.now()}
	r.comps = append(r.comps, c)
	return c
}

// Stopped records that the process's stages have stopped, and why (nil on
// a normal shutdown): liveness fails from then on.
func (r *Registry) Stopped(err error) {
	if err == nil {
		err = errors.New("the stages stopped")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopped = err
}

// Component is one part a process depends on. It is safe for concurrent
// use.
type Component struct {
	r    *Registry
	name string

	// Guarded by r.mu.
	state    State
	since    time.Time
	lastErr  string
	failures int // attempts failed in a row
	probe    func(context.Context) error
}

// Name returns the component's name.
func (c *Component) Name() string { return c.name }

// Set records the component's state: Up when err is nil, Down with err
// otherwise. It reports whether the state changed.
func (c *Component) Set(err error) bool {
	state, msg := Up, ""
	if err != nil {
		state, msg = Down, c.r.redact(err.Error())
	}
	c.r.mu.Lock()
	defer c.r.mu.Unlock()
	changed := state != c.state
	if changed {
		c.state, c.since = state, c.r.now()
	}
	if msg != "" {
		c.lastErr = msg
	}
	return changed
}

// SetProbe makes every readiness report call probe (with a timeout of a
// few seconds) and Set the component from its result. nil removes the
// probe.
func (c *Component) SetProbe(probe func(context.Context) error) {
	c.r.mu.Lock()
	defer c.r.mu.Unlock()
	c.probe = probe
}

// Status is a component's state as a report shows it.
type Status struct {
	Name  string    `json:"name"`
	State State     `json:"state"`
	Since time.Time `json:"since"`
	// LastError is the last error the component met, redacted, also after
	// it recovered; empty when it never failed.
	LastError string `json:"last_error,omitempty"`
}

// Status returns the component's state.
func (c *Component) Status() Status {
	c.r.mu.Lock()
	defer c.r.mu.Unlock()
	return Status{Name: c.name, State: c.state, Since: c.since.UTC(), LastError: c.lastErr}
}

// Report is the readiness of a process.
type Report struct {
	// Ready is true when every component is Up and the stages run.
	Ready      bool     `json:"ready"`
	Components []Status `json:"components"`
}

// Report runs the components' probes, at once, then returns every
// component's state.
func (r *Registry) Report(ctx context.Context) Report {
	r.mu.Lock()
	comps := append([]*Component(nil), r.comps...)
	r.mu.Unlock()
	var wg sync.WaitGroup
	for _, c := range comps {
		c.r.mu.Lock()
		probe := c.probe
		c.r.mu.Unlock()
		if probe == nil {
			continue
		}
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(ctx, probeTimeout)
			defer cancel()
			c.Set(probe(ctx))
		})
	}
	wg.Wait()
	rep := Report{Ready: r.live() == nil, Components: make([]Status, 0, len(comps))}
	for _, c := range comps {
		s := c.Status()
		rep.Ready = rep.Ready && s.State == Up
		rep.Components = append(rep.Components, s)
	}
	return rep
}

// live returns nil while the process runs its stages, and why it stopped
// once it has.
func (r *Registry) live() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stopped
}
