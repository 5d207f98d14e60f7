package fakewarehouse

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/apache/thrift/lib/go/thrift"
)

// Request is a request the server received, as the tests check it.
type Request struct {
	Method string
	Path   string // the URL path, unescaped
	Query  string
	// Authorized is whether the request carried the server's token as a
	// bearer token.
	Authorized bool
	// BodySHA256 is the hex SHA-256 of a Files API PUT's body.
	BodySHA256 string
	Size       int64
}

// Statement is a SQL statement the warehouse ran (or refused).
type Statement struct {
	SQL    string
	Params map[string]string // each parameter's value as sent, "NULL" for none
	Err    error
}

// Server is the fake workspace. It is safe for concurrent use.
type Server struct {
	token    string
	httpPath string
	engine   *engine

	mu         sync.Mutex
	requests   []Request
	statements []Statement
	files      map[string][]byte // volume path → content
	fails      []*failure
	slow       []*failure // statements answered as still running, for GetOperationStatus
	calls      []string   // Thrift methods called, in order
	sessions   map[string]bool
	ops        map[string]*result
}

// failure is an error injected into the next statements that match.
type failure struct {
	match    func(sql string) bool
	sqlState string
	message  string
	times    int
}

// New returns a server that accepts requests carrying token and runs SQL
// sent to httpPath.
func New(token, httpPath string) (*Server, error) {
	s := &Server{token: token, httpPath: httpPath, files: map[string][]byte{}, sessions: map[string]bool{}, ops: map[string]*result{}}
	e, err := newEngine(s.readFile)
	if err != nil {
		return nil, err
	}
	s.engine = e
	return s, nil
}

// Close releases the warehouse's database.
func (s *Server) Close() error { return s.engine.close() }

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	authorized := r.Header.Get("Authorization") == "Bearer "+s.token
	req := Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Authorized: authorized}
	switch {
	case r.URL.Path == s.httpPath && r.Method == http.MethodPost:
		s.record(req)
		if !authorized {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		pf := thrift.NewTBinaryProtocolFactoryConf(&thrift.TConfiguration{})
		thrift.NewThriftHandlerFunc(processor{handle: s.call}, pf, pf)(w, r)
	case strings.HasPrefix(r.URL.Path, "/api/2.0/fs/files/"):
		s.filesAPI(w, r, req, strings.TrimPrefix(r.URL.Path, "/api/2.0/fs/files"))
	case strings.HasPrefix(r.URL.Path, "/api/2.0/fs/directories/") && r.Method == http.MethodDelete:
		s.record(req)
		if !authorized {
			apiError(w, http.StatusUnauthorized, "UNAUTHENTICATED", "missing or wrong token")
			return
		}
		dir := strings.TrimPrefix(r.URL.Path, "/api/2.0/fs/directories")
		s.mu.Lock()
		defer s.mu.Unlock()
		for p := range s.files {
			if strings.HasPrefix(p, dir+"/") {
				apiError(w, http.StatusConflict, "DIRECTORY_NOT_EMPTY", "the directory is not empty")
				return
			}
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		s.record(req)
		http.NotFound(w, r)
	}
}

func apiError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error_code": code, "message": msg})
}

func (s *Server) record(r Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r)
}

// filesAPI serves the Files API of volume file p.
func (s *Server) filesAPI(w http.ResponseWriter, r *http.Request, req Request, p string) {
	if !strings.HasPrefix(p, "/Volumes/") {
		s.record(req)
		apiError(w, http.StatusBadRequest, "INVALID_PARAMETER_VALUE", "not a volume path")
		return
	}
	switch r.Method {
	case http.MethodPut:
		data, err := io.ReadAll(r.Body)
		if err != nil {
			s.record(req)
			apiError(w, http.StatusBadRequest, "BAD_REQUEST", err.Error())
			return
		}
		sum := sha256.Sum256(data)
		req.BodySHA256, req.Size = hex.EncodeToString(sum[:]), int64(len(data))
		s.record(req)
		if !req.Authorized {
			apiError(w, http.StatusUnauthorized, "UNAUTHENTICATED", "missing or wrong token")
			return
		}
		q, _ := url.ParseQuery(r.URL.RawQuery)
		s.mu.Lock()
		_, exists := s.files[p]
		if exists && q.Get("overwrite") != "true" {
			s.mu.Unlock()
			apiError(w, http.StatusConflict, "ALREADY_EXISTS", "the file exists")
			return
		}
		s.files[p] = data
		s.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	case http.MethodGet, http.MethodDelete:
		s.record(req)
		if !req.Authorized {
			apiError(w, http.StatusUnauthorized, "UNAUTHENTICATED", "missing or wrong token")
			return
		}
		s.mu.Lock()
		data, ok := s.files[p]
		if r.Method == http.MethodDelete {
			delete(s.files, p)
		}
		s.mu.Unlock()
		switch {
		case !ok:
			apiError(w, http.StatusNotFound, "NOT_FOUND", "no such file")
		case r.Method == http.MethodGet:
			_, _ = w.Write(data)
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	default:
		s.record(req)
		apiError(w, http.StatusMethodNotAllowed, "BAD_REQUEST", "method not allowed")
	}
}

// readFile returns the content of a volume file, for COPY INTO.
func (s *Server) readFile(p string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	data, ok := s.files[p]
	return data, ok
}

// Requests returns the requests received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Statements returns the statements run so far, in order.
func (s *Server) Statements() []Statement {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.statements)
}

// Files lists the volume files the server holds, sorted.
func (s *Server) Files() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.files))
	for p := range s.files {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// Calls returns the Thrift methods called so far, in order.
func (s *Server) Calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// SlowNext makes the next times statements for which match holds answer
// ExecuteStatement as still running, so that the driver polls
// GetOperationStatus for their end.
func (s *Server) SlowNext(match func(sql string) bool, times int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.slow = append(s.slow, &failure{match: match, times: times})
}

// FailNext makes the next times statements for which match holds fail
// with sqlState and message (as "[message]"), before they run.
func (s *Server) FailNext(match func(sql string) bool, sqlState, message string, times int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fails = append(s.fails, &failure{match: match, sqlState: sqlState, message: message, times: times})
}

// injected returns the error to fail a statement with, if any.
func (s *Server) injected(sql string) *sqlError {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.fails {
		if f.times > 0 && f.match(sql) {
			f.times--
			return &sqlError{state: f.sqlState, msg: f.message}
		}
	}
	return nil
}

func newID() []byte {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return b
}

// Thrift enum values of TCLIService.
const (
	statusSuccess   = int32(0)
	statusError     = int32(3)
	stateRunning    = int32(1)
	stateFinished   = int32(2)
	stateClosed     = int32(4)
	stateError      = int32(5)
	protocolV8      = int32(42248)
	rowSetColumns   = int32(1)
	operationExecte = int32(0)
)

func status(code int32) strct { return strct{{1, thrift.I32, code}} }

func handle(id []byte) strct {
	return strct{{1, thrift.STRING, id}, {2, thrift.STRING, []byte("secret")}}
}

// call answers one TCLIService call.
func (s *Server) call(ctx context.Context, method string, req fields) (strct, error) {
	s.mu.Lock()
	s.calls = append(s.calls, method)
	s.mu.Unlock()
	switch method {
	case "OpenSession":
		id := newID()
		s.mu.Lock()
		s.sessions[string(id)] = true
		s.mu.Unlock()
		return strct{
			{1, thrift.STRUCT, status(statusSuccess)},
			{2, thrift.I32, protocolV8},
			{3, thrift.STRUCT, strct{{1, thrift.STRUCT, handle(id)}}},
		}, nil
	case "CloseSession":
		s.mu.Lock()
		delete(s.sessions, string(req.strct(1).strct(1).bytes(1)))
		s.mu.Unlock()
		return strct{{1, thrift.STRUCT, status(statusSuccess)}}, nil
	case "ExecuteStatement":
		return s.execute(ctx, req), nil
	case "GetOperationStatus":
		res := s.op(req)
		if res == nil {
			return strct{{1, thrift.STRUCT, status(statusError)}, {2, thrift.I32, stateClosed}}, nil
		}
		return res.status(), nil
	case "GetResultSetMetadata":
		res := s.op(req)
		if res == nil {
			return strct{{1, thrift.STRUCT, status(statusError)}}, nil
		}
		return res.metadata(), nil
	case "FetchResults":
		res := s.op(req)
		if res == nil {
			return strct{{1, thrift.STRUCT, status(statusError)}}, nil
		}
		return res.fetch(req.i64(3)), nil
	case "CloseOperation", "CancelOperation":
		s.mu.Lock()
		delete(s.ops, string(req.strct(1).strct(1).bytes(1)))
		s.mu.Unlock()
		return strct{{1, thrift.STRUCT, status(statusSuccess)}}, nil
	}
	return nil, fmt.Errorf("fakewarehouse: no method %s", method)
}

// op returns the result of the operation a request names.
func (s *Server) op(req fields) *result {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ops[string(req.strct(1).strct(1).bytes(1))]
}

// execute runs a statement and answers with its status in the direct
// results; its rows come with GetResultSetMetadata and FetchResults.
func (s *Server) execute(ctx context.Context, req fields) strct {
	sql := req.str(2)
	params := map[string]param{}
	shown := map[string]string{}
	for _, n := range req.list(1288) {
		p, _ := n.(fields)
		name := p.str(2)
		v := p.strct(4)
		pv := param{typ: p.str(3)}
		if v != nil {
			if _, ok := v[1]; ok {
				pv.value, pv.set = v.str(1), true
			}
		}
		params[name] = pv
		shown[name] = "NULL"
		if pv.set {
			shown[name] = pv.value
		}
	}
	var res *result
	err := s.injectedErr(sql)
	if err == nil {
		res, err = s.engine.run(ctx, sql, params)
	}
	s.mu.Lock()
	s.statements = append(s.statements, Statement{SQL: sql, Params: shown, Err: err})
	s.mu.Unlock()
	if err != nil {
		res = &result{err: asSQLError(err)}
	}
	id := newID()
	s.mu.Lock()
	s.ops[string(id)] = res
	s.mu.Unlock()
	st := res.status()
	s.mu.Lock()
	for _, f := range s.slow {
		if f.times > 0 && f.match(sql) {
			f.times--
			st = strct{{1, thrift.STRUCT, status(statusSuccess)}, {2, thrift.I32, stateRunning}}
			break
		}
	}
	s.mu.Unlock()
	return strct{
		{1, thrift.STRUCT, status(statusSuccess)},
		{2, thrift.STRUCT, strct{
			{1, thrift.STRUCT, handle(id)},
			{2, thrift.I32, operationExecte},
			{3, thrift.BOOL, true},
		}},
		{1281, thrift.STRUCT, strct{{1, thrift.STRUCT, st}}},
	}
}

func (s *Server) injectedErr(sql string) error {
	if e := s.injected(sql); e != nil {
		return e
	}
	return nil
}
