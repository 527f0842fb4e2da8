package sim

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Default credentials of a simulator whose Options leave them empty. They are
// not secrets: the simulator serves made-up data.
const (
	DefaultUsername = "qgraph"
	DefaultPassword = "simulator"
)

// DefaultNow returns the simulated start clock used when Options.Now is zero.
func DefaultNow() time.Time { return time.Date(2026, time.March, 2, 9, 0, 0, 0, time.UTC) }

// Options configure a simulator. Zero values get the defaults named on each
// field; New validates the rest.
type Options struct {
	// Hosts is the number of scanned hosts at start (default 100).
	Hosts int
	// DetectionsPerHost is the mean number of detections per host, over all
	// statuses and types (default 10). A quarter of the hosts carry many more
	// than the mean and the rest fewer, as in real estates.
	DetectionsPerHost int
	// WebApps is the number of WAS web applications at start (default 5;
	// set NoWebApps for none).
	WebApps int
	// NoWebApps serves a subscription without web applications.
	NoWebApps bool
	// FindingsPerWebApp is the mean number of WAS findings per web app
	// (default 30).
	FindingsPerWebApp int
	// KnowledgeBaseSize is the number of QIDs in the KnowledgeBase
	// (default 6000, at least 500).
	KnowledgeBaseSize int
	// Seed makes the data: the same seed, options and Advance calls give
	// byte-identical responses.
	Seed int64
	// Username and Password are the Basic credentials accepted (defaults
	// DefaultUsername and DefaultPassword).
	Username string
	Password string
	// Account selects the state of the subscription: AccountActive (default),
	// AccountExpired (FO answers 200 with SIMPLE_RETURN 2001) or
	// AccountNoAPIAccess (FO 401 2000, QPS UNAUTHORIZED).
	Account AccountState
	// AllowMissingRequestedWith accepts FO requests without the
	// X-Requested-With header, which Qualys requires. Without it such
	// requests get 400 SIMPLE_RETURN 1903 (the exact code Qualys uses is
	// not documented).
	AllowMissingRequestedWith bool
	// Limits are the FO rate and concurrency limits (default: the standard
	// subscription, 300 calls per hour per endpoint, 2 concurrent calls).
	Limits Limits
	// Faults are injected into responses; see ParseFaults.
	Faults FaultSpec
	// Gzip compresses responses for clients that accept gzip.
	Gzip bool
	// Latency adds a delay per response proportional to the number of
	// records in it (per record), plus up to LatencyJitter at random.
	Latency       time.Duration
	LatencyJitter time.Duration
	// KeepAliveEvery injects a keep-alive comment into detection responses
	// every so many hosts (default 200; negative for none).
	KeepAliveEvery int
	// Now is the simulated clock at start (default DefaultNow()). It only
	// moves through Advance or the control endpoint, so responses never
	// depend on the wall clock.
	Now time.Time
	// BaseURL is the absolute URL clients reach the simulator at; it is used
	// in WARNING/URL continuation links. When empty, the request's Host is used.
	BaseURL string
	// Logger receives one line per request at debug level (default: discard).
	Logger *slog.Logger
}

// AccountState is the state of the simulated subscription.
type AccountState string

// Account states.
const (
	AccountActive      AccountState = ""
	AccountExpired     AccountState = "expired"
	AccountNoAPIAccess AccountState = "no-api-access"
)

// Limits are the FO API limits the simulator enforces and advertises in its
// X-RateLimit-* and X-Concurrency-* headers.
type Limits struct {
	// Calls allowed per Window per endpoint (default 300).
	Calls int
	// Window is the sliding rate-limit window (default one hour).
	Window time.Duration
	// Concurrency is the number of FO calls that may run at once
	// (default 2).
	Concurrency int
	// OtherRunning counts calls by "other scripts" that always occupy
	// concurrency slots.
	OtherRunning int
	// Unlimited disables enforcement; headers still advertise Calls and
	// Concurrency.
	Unlimited bool
}

// StandardLimits are those of a standard subscription: 300 calls per hour
// per endpoint, 2 concurrent calls.
func StandardLimits() Limits { return Limits{Calls: 300, Window: time.Hour, Concurrency: 2} }

// PremiumLimits are those of a premium subscription: 2000 calls per hour
// per endpoint, 10 concurrent calls.
func PremiumLimits() Limits { return Limits{Calls: 2000, Window: time.Hour, Concurrency: 10} }

// UnlimitedLimits advertise generous limits and never block.
func UnlimitedLimits() Limits {
	return Limits{Calls: 100000, Window: time.Hour, Concurrency: 100, Unlimited: true}
}

// LimitsProfile returns the limits named standard, premium or unlimited.
func LimitsProfile(name string) (Limits, error) {
	switch name {
	case "standard":
		return StandardLimits(), nil
	case "premium":
		return PremiumLimits(), nil
	case "unlimited":
		return UnlimitedLimits(), nil
	}
	return Limits{}, fmt.Errorf("unknown limits profile %q (want standard, premium or unlimited)", name)
}

// DemoOptions returns the demo dataset: a few hundred hosts of all four
// kinds (on-premises, EC2, Azure, GCP) with detections of every status, and
// web apps with WAS findings of every type, under the default credentials
// and without limits, so a demo sync never waits.
func DemoOptions() Options {
	return Options{
		Hosts:             300,
		DetectionsPerHost: 12,
		WebApps:           8,
		FindingsPerWebApp: 25,
		Seed:              1,
		Username:          DefaultUsername,
		Password:          DefaultPassword,
		Limits:            UnlimitedLimits(),
	}
}

// withDefaults fills zero values and validates the result.
func (o Options) withDefaults() (Options, error) {
	if o.Hosts == 0 {
		o.Hosts = 100
	}
	if o.DetectionsPerHost == 0 {
		o.DetectionsPerHost = 10
	}
	if o.WebApps == 0 && !o.NoWebApps {
		o.WebApps = 5
	}
	if o.NoWebApps {
		o.WebApps = 0
	}
	if o.FindingsPerWebApp == 0 {
		o.FindingsPerWebApp = 30
	}
	if o.KnowledgeBaseSize == 0 {
		o.KnowledgeBaseSize = 6000
	}
	if o.Username == "" {
		o.Username = DefaultUsername
	}
	if o.Password == "" {
		o.Password = DefaultPassword
	}
	if o.Limits == (Limits{}) {
		o.Limits = StandardLimits()
	}
	if o.Limits.Window == 0 {
		o.Limits.Window = time.Hour
	}
	if o.KeepAliveEvery == 0 {
		o.KeepAliveEvery = 200
	}
	if o.Now.IsZero() {
		o.Now = DefaultNow()
	}
	o.Now = o.Now.UTC().Truncate(time.Second)
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	var errs []error
	check := func(ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	check(o.Hosts > 0 && o.Hosts <= maxHosts, "hosts must be between 1 and %d, got %d", maxHosts, o.Hosts)
	check(o.DetectionsPerHost > 0 && o.DetectionsPerHost <= 2000, "detections per host must be between 1 and 2000, got %d", o.DetectionsPerHost)
	check(o.WebApps >= 0 && o.WebApps <= maxWebApps, "web apps must be between 0 and %d, got %d", maxWebApps, o.WebApps)
	check(o.FindingsPerWebApp > 0 && o.FindingsPerWebApp <= 2000, "findings per web app must be between 1 and 2000, got %d", o.FindingsPerWebApp)
	check(o.KnowledgeBaseSize >= 500 && o.KnowledgeBaseSize <= 50000, "knowledge base size must be between 500 and 50000, got %d", o.KnowledgeBaseSize)
	check(o.Limits.Calls > 0, "rate limit calls must be positive, got %d", o.Limits.Calls)
	check(o.Limits.Concurrency > 0, "concurrency limit must be positive, got %d", o.Limits.Concurrency)
	check(o.Limits.OtherRunning >= 0, "other running calls must not be negative, got %d", o.Limits.OtherRunning)
	check(o.Latency >= 0 && o.LatencyJitter >= 0, "latency must not be negative")
	switch o.Account {
	case AccountActive, AccountExpired, AccountNoAPIAccess:
	default:
		errs = append(errs, fmt.Errorf("unknown account state %q (want %q or %q)", o.Account, AccountExpired, AccountNoAPIAccess))
	}
	if err := errors.Join(errs...); err != nil {
		return o, fmt.Errorf("simulator options: %w", err)
	}
	return o, nil
}

const (
	maxHosts   = 2_000_000
	maxWebApps = 50_000
)
