package sim

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// FaultKind names one kind of injected fault.
type FaultKind string

// Fault kinds.
const (
	// FaultServerError answers with a 5xx status (Status, default 503) and a
	// SIMPLE_RETURN 999 body.
	FaultServerError FaultKind = "5xx"
	// FaultSlow delays the response by Delay (default 2s) before the headers.
	FaultSlow FaultKind = "slow"
	// FaultStall sends part of the body, then stalls for Delay (default 30s)
	// before finishing, to exercise client read timeouts.
	FaultStall FaultKind = "stall"
	// FaultReset resets the connection before any response is sent.
	FaultReset FaultKind = "reset"
	// FaultHangup sends the headers and part of the body, then drops the
	// connection (a socket hang-up mid-body).
	FaultHangup FaultKind = "hangup"
	// FaultTruncate ends the body cleanly but early, in the middle of the
	// XML document.
	FaultTruncate FaultKind = "truncate"
	// FaultCorrupt puts garbage bytes inside a DETECTION's QID (detection
	// responses), inside the ID of one record (KnowledgeBase, host asset
	// and WAS searches), or near the start of other answers.
	FaultCorrupt FaultKind = "corrupt"
	// FaultHTML answers with a text/html page instead of XML.
	FaultHTML FaultKind = "html"
	// FaultConflict answers 409 with SIMPLE_RETURN Code (default 1965, with
	// wait headers); Code 0 sends a 409 with no body and no limit headers.
	FaultConflict FaultKind = "409"
)

var faultKinds = []FaultKind{FaultServerError, FaultSlow, FaultStall, FaultReset, FaultHangup, FaultTruncate, FaultCorrupt, FaultHTML, FaultConflict}

// Endpoint names one simulated API endpoint, for fault targeting and
// statistics.
type Endpoint string

// Endpoints.
const (
	EndpointPortal       Endpoint = "portal"
	EndpointHostList     Endpoint = "hostlist"
	EndpointHostAsset    Endpoint = "hostasset"
	EndpointDetections   Endpoint = "detections"
	EndpointKB           Endpoint = "kb"
	EndpointWebApps      Endpoint = "webapps"
	EndpointFindings     Endpoint = "findings"
	EndpointWebAppCount  Endpoint = "webappcount"
	EndpointFindingCount Endpoint = "findingcount"
	EndpointActivityLog  Endpoint = "activitylog"
)

// Endpoints lists every endpoint name, in a stable order.
func Endpoints() []Endpoint {
	return []Endpoint{EndpointPortal, EndpointHostList, EndpointHostAsset, EndpointDetections, EndpointKB,
		EndpointWebApps, EndpointFindings, EndpointWebAppCount, EndpointFindingCount, EndpointActivityLog}
}

// FaultRule injects one kind of fault into the requests it selects: the
// requests whose number is in On, and, at random but reproducibly from the
// seed, a Rate fraction of the others. Requests are numbered from 1, per
// Endpoint when one is set, over all API requests otherwise.
type FaultRule struct {
	Kind     FaultKind
	Rate     float64
	On       []int
	Endpoint Endpoint
	// Delay is the delay of slow and stall faults.
	Delay time.Duration
	// Status is the HTTP status of 5xx faults (500-599).
	Status int
	// Code is the SIMPLE_RETURN code of 409 faults (1960, 1965, 2003,
	// 2011, or 0 for an empty 409).
	Code int
}

// FaultSpec is a list of fault rules; the first rule that selects a request
// decides its fault.
type FaultSpec struct {
	Rules []FaultRule
}

// String renders the spec in the form ParseFaults reads.
func (s FaultSpec) String() string {
	var parts []string
	for _, r := range s.Rules {
		p := []string{string(r.Kind)}
		if r.Rate > 0 {
			p = append(p, "rate="+strconv.FormatFloat(r.Rate, 'g', -1, 64))
		}
		if len(r.On) > 0 {
			ns := make([]string, len(r.On))
			for i, n := range r.On {
				ns[i] = strconv.Itoa(n)
			}
			p = append(p, "on="+strings.Join(ns, ","))
		}
		if r.Endpoint != "" {
			p = append(p, "endpoint="+string(r.Endpoint))
		}
		if r.Delay > 0 {
			p = append(p, "delay="+r.Delay.String())
		}
		if r.Status > 0 {
			p = append(p, "status="+strconv.Itoa(r.Status))
		}
		if r.Kind == FaultConflict {
			p = append(p, "code="+strconv.Itoa(r.Code))
		}
		parts = append(parts, strings.Join(p, ":"))
	}
	return strings.Join(parts, ";")
}

// ParseFaults reads a fault spec: rules separated by ";", each a kind
// followed by ":key=value" options.
//
//	5xx:rate=0.05;reset:on=3,7:endpoint=detections;slow:delay=2s:rate=0.1
//
// Kinds: 5xx, slow, stall, reset, hangup, truncate, corrupt, html, 409.
// Options: rate=FRACTION (0-1), on=N[,N...] (request numbers from 1),
// endpoint=NAME (portal, hostlist, hostasset, detections, kb, webapps,
// findings, webappcount, findingcount, activitylog), delay=DURATION (slow,
// stall), status=5NN (5xx), code=N (409: 1960, 1965, 2003, 2011 or 0).
// A rule needs rate or on. The empty spec means no faults.
func ParseFaults(spec string) (FaultSpec, error) {
	var out FaultSpec
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return out, nil
	}
	for i, ruleText := range strings.Split(spec, ";") {
		ruleText = strings.TrimSpace(ruleText)
		if ruleText == "" {
			continue
		}
		r, err := parseFaultRule(ruleText)
		if err != nil {
			return FaultSpec{}, fmt.Errorf("fault rule %d %q: %w", i+1, ruleText, err)
		}
		out.Rules = append(out.Rules, r)
	}
	if len(out.Rules) == 0 {
		return FaultSpec{}, fmt.Errorf("fault spec %q holds no rule (want e.g. '5xx:rate=0.05')", spec)
	}
	return out, nil
}

func parseFaultRule(text string) (FaultRule, error) {
	parts := strings.Split(text, ":")
	r := FaultRule{Kind: FaultKind(strings.TrimSpace(parts[0]))}
	if !slices.Contains(faultKinds, r.Kind) {
		names := make([]string, len(faultKinds))
		for i, k := range faultKinds {
			names[i] = string(k)
		}
		return r, fmt.Errorf("unknown fault kind %q (want one of %s)", r.Kind, strings.Join(names, ", "))
	}
	codeSet := false
	for _, opt := range parts[1:] {
		key, value, ok := strings.Cut(strings.TrimSpace(opt), "=")
		if !ok || value == "" {
			return r, fmt.Errorf("option %q: want key=value", opt)
		}
		switch key {
		case "rate":
			f, err := strconv.ParseFloat(value, 64)
			if err != nil || f < 0 || f > 1 {
				return r, fmt.Errorf("rate %q: want a fraction between 0 and 1", value)
			}
			r.Rate = f
		case "on":
			for _, n := range strings.Split(value, ",") {
				v, err := strconv.Atoi(strings.TrimSpace(n))
				if err != nil || v < 1 {
					return r, fmt.Errorf("on %q: want request numbers from 1, separated by commas", value)
				}
				r.On = append(r.On, v)
			}
		case "endpoint":
			if !slices.Contains(Endpoints(), Endpoint(value)) {
				return r, fmt.Errorf("unknown endpoint %q", value)
			}
			r.Endpoint = Endpoint(value)
		case "delay":
			d, err := time.ParseDuration(value)
			if err != nil || d <= 0 {
				return r, fmt.Errorf("delay %q: want a positive duration such as 2s", value)
			}
			if r.Kind != FaultSlow && r.Kind != FaultStall {
				return r, fmt.Errorf("delay applies only to slow and stall faults")
			}
			r.Delay = d
		case "status":
			v, err := strconv.Atoi(value)
			if err != nil || v < 500 || v > 599 {
				return r, fmt.Errorf("status %q: want a 5xx HTTP status", value)
			}
			if r.Kind != FaultServerError {
				return r, fmt.Errorf("status applies only to 5xx faults")
			}
			r.Status = v
		case "code":
			v, err := strconv.Atoi(value)
			if err != nil || !slices.Contains([]int{0, 1960, 1965, 2003, 2011}, v) {
				return r, fmt.Errorf("code %q: want 1960, 1965, 2003, 2011 or 0", value)
			}
			if r.Kind != FaultConflict {
				return r, fmt.Errorf("code applies only to 409 faults")
			}
			r.Code = v
			codeSet = true
		default:
			return r, fmt.Errorf("unknown option %q (want rate, on, endpoint, delay, status or code)", key)
		}
	}
	if r.Rate == 0 && len(r.On) == 0 {
		return r, fmt.Errorf("say which requests to fault with rate=FRACTION or on=N,...")
	}
	r.setDefaults(codeSet)
	return r, nil
}

func (r *FaultRule) setDefaults(codeSet bool) {
	switch r.Kind {
	case FaultSlow:
		if r.Delay == 0 {
			r.Delay = 2 * time.Second
		}
	case FaultStall:
		if r.Delay == 0 {
			r.Delay = 30 * time.Second
		}
	case FaultServerError:
		if r.Status == 0 {
			r.Status = 503
		}
	case FaultConflict:
		if !codeSet && r.Code == 0 {
			r.Code = 1965
		}
	}
}

// normalized returns the spec with defaults filled, for rules built in code.
func (s FaultSpec) normalized() (FaultSpec, error) {
	out := FaultSpec{Rules: make([]FaultRule, len(s.Rules))}
	for i, r := range s.Rules {
		if !slices.Contains(faultKinds, r.Kind) {
			return out, fmt.Errorf("fault rule %d: unknown fault kind %q", i+1, r.Kind)
		}
		if r.Rate < 0 || r.Rate > 1 {
			return out, fmt.Errorf("fault rule %d: rate %v is not between 0 and 1", i+1, r.Rate)
		}
		if r.Endpoint != "" && !slices.Contains(Endpoints(), r.Endpoint) {
			return out, fmt.Errorf("fault rule %d: unknown endpoint %q", i+1, r.Endpoint)
		}
		r.On = slices.Clone(r.On)
		r.setDefaults(true)
		if r.Kind == FaultServerError && (r.Status < 500 || r.Status > 599) {
			return out, fmt.Errorf("fault rule %d: status %d is not a 5xx status", i+1, r.Status)
		}
		out.Rules[i] = r
	}
	return out, nil
}

// pickFault returns the rule that selects request n (global number) / en
// (number within its endpoint), or nil.
func (s FaultSpec) pickFault(seed uint64, ep Endpoint, global, perEndpoint int) *FaultRule {
	for i := range s.Rules {
		r := &s.Rules[i]
		n := global
		if r.Endpoint != "" {
			if r.Endpoint != ep {
				continue
			}
			n = perEndpoint
		}
		if slices.Contains(r.On, n) {
			return r
		}
		if r.Rate > 0 && unitOf(hashOf(seed, tagFault, uint64(i), uint64(n))) < r.Rate {
			return r
		}
	}
	return nil
}
