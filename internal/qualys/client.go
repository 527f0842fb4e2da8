package qualys

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/qgraph/qgraph/internal/buildinfo"
)

// Endpoint names, used in errors, logs and Stats.
const (
	EndpointPortalVersion  = "portal version"
	EndpointHostList       = "host list"
	EndpointHostAssets     = "host assets"
	EndpointHostDetections = "host detections"
	EndpointKnowledgeBase  = "knowledge base"
	EndpointWebApps        = "web apps"
	EndpointWebAppCount    = "web app count"
	EndpointFindings       = "web app findings"
	EndpointFindingCount   = "web app finding count"
)

// Options configure a Client. Zero values take the documented defaults.
type Options struct {
	// APIURL is the Qualys API base URL; see ValidateAPIURL.
	APIURL string
	// Username and Password are sent with HTTP Basic auth.
	Username string
	Password string
	// HTTPClient sends the requests; default: a client with dial, TLS and
	// response-header timeouts and transparent gzip. Its Timeout should be
	// 0: large bodies are guarded by BodyIdleTimeout instead.
	HTTPClient *http.Client
	// Logger receives retries, waits and page failures; default: discard.
	Logger *slog.Logger
	// UserAgent is sent on every request; default buildinfo.UserAgent().
	UserAgent string
	// RequestedWith is the X-Requested-With header; default "qgraph".
	RequestedWith string
	// Retry bounds retries; zero fields take defaults.
	Retry RetryPolicy
	// MaxConcurrency caps FO calls in flight (detections, KnowledgeBase),
	// whatever the subscription allows; default 8. The subscription's
	// X-Concurrency-Limit-Limit, less what others run, lowers it further.
	MaxConcurrency int
	// QPSConcurrency is the number of QPS pages (host assets, WAS findings)
	// fetched in parallel; default 4. QPS calls carry no limit headers.
	QPSConcurrency int
	// ResponseHeaderTimeout bounds the wait for response headers; default 5
	// minutes (large Qualys pages are slow to start).
	ResponseHeaderTimeout time.Duration
	// BodyIdleTimeout fails a page whose body delivers no byte for this
	// long while the client waits for it; default 5 minutes. Time spent in
	// callbacks does not count.
	BodyIdleTimeout time.Duration
	// Now returns the current time; default time.Now. For tests.
	Now func() time.Time
	// Sleep waits d or until ctx is done; default a timer. For tests.
	Sleep func(ctx context.Context, d time.Duration) error
	// Jitter returns a random float in [0,1) for backoff jitter; default
	// math/rand/v2. For tests.
	Jitter func() float64
}

// String describes the options with the password masked.
func (o Options) String() string {
	return fmt.Sprintf("qualys.Options{APIURL: %q, Username: %q, Password: %s}", o.APIURL, o.Username, maskSecret(o.Password))
}

// LogValue masks the password when the options are logged with slog.
func (o Options) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("apiUrl", o.APIURL),
		slog.String("username", o.Username),
		slog.String("password", maskSecret(o.Password)),
	)
}

func maskSecret(s string) string {
	if s == "" {
		return `""`
	}
	return "********"
}

// RetryPolicy bounds retries. Zero fields take the defaults given.
type RetryPolicy struct {
	// MaxAttempts bounds sends of one request on 5xx, timeouts and
	// connection errors; default 5.
	MaxAttempts int
	// MaxRateLimitAttempts bounds sends of one request answered 409 with
	// code 1960/1965 (or a 409 without a body); default 20.
	MaxRateLimitAttempts int
	// BaseDelay is the first backoff; default 1s. Backoff doubles per retry
	// with full jitter, up to MaxDelay (default 1 minute).
	BaseDelay time.Duration
	MaxDelay  time.Duration
	// MaxWait is the longest single wait Qualys may ask for (409 ToWait or
	// SECONDS_TO_WAIT); a longer one fails the request; default 10 minutes.
	MaxWait time.Duration
	// MaxElapsed bounds the total time spent on one request, waits
	// included; default 30 minutes.
	MaxElapsed time.Duration
	// ReserveCalls is the remaining-call count at or below which FO calls
	// are spaced out over the rate-limit window; default 10% of the limit,
	// at least 2.
	ReserveCalls int
	// MaxPaceDelay caps the spacing between FO calls when few remain;
	// default 1 minute.
	MaxPaceDelay time.Duration
}

// Client calls the Qualys APIs. It is safe for concurrent use.
type Client struct {
	base      *url.URL
	baseStr   string
	username  string
	password  string
	http      *http.Client
	log       *slog.Logger
	userAgent string
	reqWith   string
	retry     RetryPolicy
	qpsConc   int
	idle      time.Duration
	now       func() time.Time
	sleep     func(ctx context.Context, d time.Duration) error
	jitterMu  sync.Mutex
	jitter    func() float64
	limits    *foLimiter
	stats     *statsRecorder
	clock     serverClock
}

// New validates opts and returns a Client.
func New(opts Options) (*Client, error) {
	base, err := ValidateAPIURL(opts.APIURL)
	if err != nil {
		return nil, err
	}
	if opts.Username == "" {
		return nil, errors.New("qualys: username is required")
	}
	if opts.Password == "" {
		return nil, errors.New("qualys: password is required")
	}
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	c := &Client{
		base:      u,
		baseStr:   base,
		username:  opts.Username,
		password:  opts.Password,
		http:      opts.HTTPClient,
		log:       opts.Logger,
		userAgent: opts.UserAgent,
		reqWith:   opts.RequestedWith,
		retry:     opts.Retry.withDefaults(),
		qpsConc:   opts.QPSConcurrency,
		idle:      opts.BodyIdleTimeout,
		now:       opts.Now,
		sleep:     opts.Sleep,
		jitter:    opts.Jitter,
		stats:     newStatsRecorder(),
	}
	if c.http == nil {
		hdr := opts.ResponseHeaderTimeout
		if hdr <= 0 {
			hdr = 5 * time.Minute
		}
		c.http = defaultHTTPClient(hdr)
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.userAgent == "" {
		c.userAgent = buildinfo.UserAgent()
	}
	if c.reqWith == "" {
		c.reqWith = "qgraph"
	}
	if c.qpsConc <= 0 {
		c.qpsConc = 4
	}
	if c.idle <= 0 {
		c.idle = 5 * time.Minute
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.sleep == nil {
		c.sleep = sleepCtx
	}
	if c.jitter == nil {
		c.jitter = rand.Float64
	}
	maxConc := opts.MaxConcurrency
	if maxConc <= 0 {
		maxConc = 8
	}
	c.limits = newFOLimiter(maxConc, c.retry, c.now)
	return c, nil
}

// APIURL returns the normalised base URL the client calls.
func (c *Client) APIURL() string { return c.baseStr }

// String describes the client without its credentials.
func (c *Client) String() string { return "qualys.Client(" + c.baseStr + ", user " + c.username + ")" }

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 5
	}
	if p.MaxRateLimitAttempts <= 0 {
		p.MaxRateLimitAttempts = 20
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = time.Second
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = time.Minute
	}
	if p.MaxWait <= 0 {
		p.MaxWait = 10 * time.Minute
	}
	if p.MaxElapsed <= 0 {
		p.MaxElapsed = 30 * time.Minute
	}
	if p.MaxPaceDelay <= 0 {
		p.MaxPaceDelay = time.Minute
	}
	return p
}

func defaultHTTPClient(headerTimeout time.Duration) *http.Client {
	t := &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   30 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          32,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   30 * time.Second,
		ExpectContinueTimeout: time.Second,
		ResponseHeaderTimeout: headerTimeout,
	}
	// Redirects are refused: Basic credentials must not follow them to
	// another host, and Qualys does not redirect API calls.
	return &http.Client{
		Transport: t,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (c *Client) rand() float64 {
	c.jitterMu.Lock()
	defer c.jitterMu.Unlock()
	return c.jitter()
}
