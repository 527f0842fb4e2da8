package sim

import (
	"encoding/json"
	"net/http"
	"time"
)

// controlPrefix is where the simulator's own endpoints live, apart from the
// Qualys API paths.
const controlPrefix = "/sim/"

// State is what the control endpoints report.
type State struct {
	// Now is the simulated clock.
	Now time.Time `json:"now"`
	// Epoch counts the Advance calls so far.
	Epoch int `json:"epoch"`
	// Hosts and WebApps count the live hosts and web apps.
	Hosts   int `json:"hosts"`
	WebApps int `json:"webApps"`
}

// State reports the simulated clock and the live host and web app counts.
func (s *Server) State() State {
	w := s.world.Load()
	st := State{Now: time.Unix(w.now(), 0).UTC(), Epoch: w.epoch()}
	for i := range w.hostTotal[w.epoch()] {
		if w.hostAlive(i) {
			st.Hosts++
		}
	}
	w.eachApp(func(int) bool { st.WebApps++; return true })
	return st
}

// serveControl answers the control endpoints:
//
//	POST /sim/advance?by=DURATION   advance the simulated clock (Advance)
//	GET  /sim/state                 the clock and population
//	GET  /sim/stats                 request, 409 and fault counters (Stats)
//
// Both need the simulator's Basic credentials and answer JSON.
func (s *Server) serveControl(w http.ResponseWriter, r *http.Request) {
	user, pass, ok := basicAuth(r.Header.Get("Authorization"))
	if !ok || user != s.opts.Username || pass != s.opts.Password {
		w.Header().Set("WWW-Authenticate", `Basic realm="qgraph simulator"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "bad credentials"})
		return
	}
	switch r.URL.Path {
	case controlPrefix + "advance":
		if r.Method != http.MethodPost {
			writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "use POST"})
			return
		}
		by := r.URL.Query().Get("by")
		d, err := time.ParseDuration(by)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "parameter by: want a duration such as 24h, got " + by})
			return
		}
		if err := s.Advance(d); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, s.State())
	case controlPrefix + "state":
		writeJSON(w, http.StatusOK, s.State())
	case controlPrefix + "stats":
		writeJSON(w, http.StatusOK, s.Stats())
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "unknown control endpoint " + r.URL.Path})
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
