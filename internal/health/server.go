package health

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// shutdownTimeout bounds how long Serve waits for requests in flight when
// its context ends.
const shutdownTimeout = 5 * time.Second

// Server serves a registry over HTTP: GET /healthz and GET /readyz. Add
// other handlers with Handle.
type Server struct {
	mux *http.ServeMux
	ln  net.Listener
	srv *http.Server
}

// Listen listens on addr (host:port; ":8080" for every interface) at once,
// so that an address in use fails the caller at start-up, and returns a
// server of r's endpoints. Serve serves them.
func Listen(addr string, r *Registry) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("health: %w", err)
	}
	s := &Server{mux: http.NewServeMux(), ln: ln}
	s.mux.HandleFunc("GET /healthz", r.serveLive)
	s.mux.HandleFunc("GET /readyz", r.serveReady)
	s.srv = &http.Server{Handler: s.mux, ReadHeaderTimeout: 10 * time.Second}
	return s, nil
}

// Handle adds a handler for pattern (as http.ServeMux reads it), such as
// "GET /metrics". It may be called while the server serves.
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// Addr returns the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Serve serves until ctx ends, then shuts the server down (waiting a few
// seconds for requests in flight) and returns nil; or it returns why
// serving failed.
func (s *Server) Serve(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- s.srv.Serve(s.ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("health: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := s.srv.Shutdown(sctx); err != nil {
		s.srv.Close()
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("health: %w", err)
	}
	return nil
}

// serveLive answers 200 while the stages run, 503 once they stopped.
func (r *Registry) serveLive(w http.ResponseWriter, _ *http.Request) {
	body := struct {
		Status string `json:"status"`
		Error  string `json:"error,omitempty"`
	}{Status: "alive"}
	code := http.StatusOK
	if err := r.live(); err != nil {
		body.Status, body.Error, code = "stopped", r.redact(err.Error()), http.StatusServiceUnavailable
	}
	writeJSON(w, code, body)
}

// serveReady answers the readiness report: 200 when ready, 503 otherwise.
func (r *Registry) serveReady(w http.ResponseWriter, req *http.Request) {
	rep := r.Report(req.Context())
	code := http.StatusOK
	if !rep.Ready {
		code = http.StatusServiceUnavailable
	}
	writeJSON(w, code, rep)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v) // the client went away
}
