package sim

import (
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Server is the simulated Qualys API. It is an http.Handler and is safe for
// concurrent use.
type Server struct {
	opts    Options
	seed    uint64
	kb      *knowledgeBase
	world   atomic.Pointer[world]
	limits  *limiter
	faults  FaultSpec
	advance sync.Mutex // serialises Advance
	// poweredBy is the X-Powered-By header: pod, subscription and user.
	poweredBy string

	mu      sync.Mutex // guards the counters below
	global  int
	perEP   map[Endpoint]int
	stats   Stats
	running int
}

// Stats are the simulator's counters, for tests that check how a client
// behaved.
type Stats struct {
	// Requests counts API requests per endpoint (control calls excluded).
	Requests map[Endpoint]int `json:"requests"`
	// Conflicts counts 409 answers per endpoint (limits and faults).
	Conflicts map[Endpoint]int `json:"conflicts"`
	// Faults counts injected faults per kind.
	Faults map[FaultKind]int `json:"faults"`
	// MaxConcurrent is the largest number of FO requests that ran at once,
	// other scripts' calls (Limits.OtherRunning) included.
	MaxConcurrent int `json:"maxConcurrent"`
	// Unauthorized counts requests refused for their credentials.
	Unauthorized int `json:"unauthorized"`
}

func (s Stats) clone() Stats {
	c := s
	c.Requests = cloneMap(s.Requests)
	c.Conflicts = cloneMap(s.Conflicts)
	c.Faults = cloneMap(s.Faults)
	return c
}

func cloneMap[K comparable](m map[K]int) map[K]int {
	out := make(map[K]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// New returns a simulator for opts.
func New(opts Options) (*Server, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	faults, err := o.Faults.normalized()
	if err != nil {
		return nil, fmt.Errorf("simulator options: %w", err)
	}
	s := &Server{
		opts:   o,
		seed:   uint64(o.Seed),
		kb:     newKnowledgeBase(o.KnowledgeBaseSize, o.Now.Unix()),
		faults: faults,
		perEP:  map[Endpoint]int{},
		stats: Stats{
			Requests:  map[Endpoint]int{},
			Conflicts: map[Endpoint]int{},
			Faults:    map[FaultKind]int{},
		},
	}
	s.limits = newLimiter(o.Limits, time.Now)
	ids := newRNG(hashOf(s.seed, tagIDs, 99))
	s.poweredBy = "Qualys:SIMPOD1:" + uuidOf(&ids) + ":" + uuidOf(&ids)
	s.world.Store(newWorld(o, s.kb))
	return s, nil
}

// Options returns the options in force, defaults filled.
func (s *Server) Options() Options { return s.opts }

// Now returns the simulated clock.
func (s *Server) Now() time.Time { return time.Unix(s.world.Load().now(), 0).UTC() }

// Epoch returns how many times the clock has been advanced.
func (s *Server) Epoch() int { return s.world.Load().epoch() }

// Advance moves the simulated clock forward by d. Hosts that are scanned in
// that time get fresh scan dates; some of their detections are fixed, some
// fixed ones re-open and new ones appear; new hosts and web apps are added
// and some old ones retired. The outcome depends only on the seed and the
// sequence of Advance calls. d must be at least one second.
func (s *Server) Advance(d time.Duration) error {
	if d < time.Second {
		return fmt.Errorf("advance simulated clock: duration %v is shorter than one second", d)
	}
	s.advance.Lock()
	defer s.advance.Unlock()
	s.world.Store(s.world.Load().advanced(d))
	return nil
}

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats.clone()
}

// route maps a request path to its endpoint; ok is false for unknown paths.
func route(path string) (Endpoint, bool) {
	switch path {
	case "/qps/rest/portal/version", "/qps/rest/portal/version/":
		return EndpointPortal, true
	case "/api/2.0/fo/asset/host/":
		return EndpointHostList, true
	case "/qps/rest/2.0/search/am/hostasset", "/qps/rest/2.0/search/am/hostasset/":
		return EndpointHostAsset, true
	case "/api/2.0/fo/asset/host/vm/detection/":
		return EndpointDetections, true
	case "/api/2.0/fo/knowledge_base/vuln/":
		return EndpointKB, true
	case "/qps/rest/3.0/search/was/webapp", "/qps/rest/3.0/search/was/webapp/":
		return EndpointWebApps, true
	case "/qps/rest/3.0/search/was/finding", "/qps/rest/3.0/search/was/finding/":
		return EndpointFindings, true
	case "/qps/rest/3.0/count/was/webapp", "/qps/rest/3.0/count/was/webapp/":
		return EndpointWebAppCount, true
	case "/qps/rest/3.0/count/was/finding", "/qps/rest/3.0/count/was/finding/":
		return EndpointFindingCount, true
	case "/api/2.0/fo/activity_log/":
		return EndpointActivityLog, true
	}
	return "", false
}

func isFO(ep Endpoint) bool {
	switch ep {
	case EndpointHostList, EndpointDetections, EndpointKB, EndpointActivityLog:
		return true
	}
	return false
}

// ServeHTTP answers one API or control request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, controlPrefix) {
		s.serveControl(w, r)
		return
	}
	ep, ok := route(r.URL.Path)
	if !ok {
		http.Error(w, "404 Not Found", http.StatusNotFound)
		return
	}
	s.mu.Lock()
	s.global++
	s.perEP[ep]++
	global, local := s.global, s.perEP[ep]
	s.stats.Requests[ep]++
	s.mu.Unlock()
	start := time.Now()
	rc := &reqCtx{s: s, w: w, r: r, ep: ep, world: s.world.Load(), reqNo: global}
	status := s.serve(rc, global, local)
	s.opts.Logger.Debug("qualys simulator request", "method", r.Method, "path", r.URL.Path, "endpoint", ep,
		"status", status, "duration", time.Since(start))
}

func (s *Server) serve(rc *reqCtx, global, local int) int {
	ep, r := rc.ep, rc.r
	fo := isFO(ep)
	// Credentials first: a 401 carries no limit headers.
	if status, refused := s.checkAuth(rc, fo); refused {
		return status
	}
	rc.w.Header().Set("X-Powered-By", s.poweredBy)
	if fo && !s.opts.AllowMissingRequestedWith && r.Header.Get("X-Requested-With") == "" {
		return rc.simpleReturn(http.StatusBadRequest, 1903, "Missing required parameter(s): X-Requested-With header", nil, false)
	}
	fault := s.faults.pickFault(s.seed, ep, global, local)
	if fault != nil {
		s.mu.Lock()
		s.stats.Faults[fault.Kind]++
		s.mu.Unlock()
		if status, done := rc.preFault(fault); done {
			return status
		}
	}
	if fo {
		adm := s.limits.admit(ep)
		s.mu.Lock()
		if adm.running > s.stats.MaxConcurrent && adm.ok {
			s.stats.MaxConcurrent = adm.running
		}
		if !adm.ok {
			s.stats.Conflicts[ep]++
		}
		s.mu.Unlock()
		if !adm.ok {
			rc.setLimitHeaders(adm)
			if adm.rateLimited {
				return rc.simpleReturn(http.StatusConflict, 1965, waitText(adm.toWait),
					[][2]string{{"SECONDS_TO_WAIT", fmt.Sprint(adm.toWait)}}, false)
			}
			return rc.simpleReturn(http.StatusConflict, 1960,
				fmt.Sprintf("This API cannot be run again until %d currently running instance(s) have finished.", adm.callsToFinish),
				[][2]string{{"CALLS_TO_FINISH", fmt.Sprint(adm.callsToFinish)}}, false)
		}
		defer s.limits.release()
		rc.setLimitHeaders(adm)
	}
	if fault != nil {
		rc.bodyFault(fault)
	}
	if s.opts.Gzip && strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		rc.w.Header().Set("Content-Encoding", "gzip")
		rc.w.Header().Add("Vary", "Accept-Encoding")
		gz := gzip.NewWriter(rc.out())
		rc.setOut(gz)
		defer gz.Close()
	}
	switch ep {
	case EndpointPortal:
		return s.servePortal(rc)
	case EndpointHostList:
		return s.serveHostList(rc)
	case EndpointDetections:
		return s.serveDetections(rc)
	case EndpointKB:
		return s.serveKB(rc)
	case EndpointHostAsset:
		return s.serveHostAssets(rc)
	case EndpointWebApps:
		return s.serveWebApps(rc, false)
	case EndpointWebAppCount:
		return s.serveWebApps(rc, true)
	case EndpointFindings:
		return s.serveFindings(rc, false)
	case EndpointFindingCount:
		return s.serveFindings(rc, true)
	case EndpointActivityLog:
		return s.serveActivityLog(rc)
	}
	return http.StatusNotFound
}

// checkAuth answers the request when its credentials are refused.
func (s *Server) checkAuth(rc *reqCtx, fo bool) (int, bool) {
	user, pass, ok := basicAuth(rc.r.Header.Get("Authorization"))
	good := ok && user == s.opts.Username && pass == s.opts.Password
	if good && s.opts.Account == AccountActive {
		return 0, false
	}
	s.mu.Lock()
	s.stats.Unauthorized++
	s.mu.Unlock()
	switch {
	case good && s.opts.Account == AccountExpired && fo:
		rc.w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
		return rc.simpleReturnTyped(http.StatusOK, 2001, "This account has expired.", nil, true), true
	case good && s.opts.Account == AccountExpired:
		return rc.qpsError("EVALUATION_EXPIRED", "Your evaluation period has expired.", "Contact your account manager to extend it."), true
	case good && s.opts.Account == AccountNoAPIAccess && !fo:
		return rc.qpsError("UNAUTHORIZED", "You are not authorized to access the application through the API.",
			"If you think this is an error, please contact your account manager."), true
	case fo:
		rc.w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
		return rc.simpleReturnTyped(http.StatusUnauthorized, 2000, "Bad Login/Password", nil, true), true
	}
	// Qualys names the host asset schema on this answer whatever the
	// endpoint (recorded on the portal version endpoint).
	return rc.qpsErrorSchema(qpsSchema(EndpointHostAsset), "INVALID_CREDENTIALS", "Authentication failed", "Verify both, user and password credentials."), true
}

// basicAuth decodes an Authorization: Basic header.
func basicAuth(h string) (user, pass string, ok bool) {
	const prefix = "Basic "
	if len(h) < len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return "", "", false
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(h[len(prefix):]))
	if err != nil {
		return "", "", false
	}
	user, pass, ok = strings.Cut(string(raw), ":")
	return user, pass, ok
}

// waitText renders a 1965 message the way Qualys words it.
func waitText(secs int) string {
	h, m, sec := secs/3600, secs/60%60, secs%60
	return fmt.Sprintf("This API cannot be run again for another %d hours, %d minutes and %d seconds.", h, m, sec)
}
