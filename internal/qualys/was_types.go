package qualys

import "time"

// WebApp is one WAS web app (ServiceResponse/data/WebApp). The search
// returns id, name, url, owner, tags count and dates; the other fields are
// filled with WebAppParams.Verbose.
type WebApp struct {
	ID        int64
	Name      string
	URL       string
	OS        string
	RiskScore int64
	Owner     *WASUser
	CreatedBy *WASUser
	UpdatedBy *WASUser
	// TagCount is tags/count; Tags lists them in verbose output.
	TagCount            int64
	Tags                []WASTag
	Created             time.Time
	Updated             time.Time
	Scope               string
	SubDomain           string
	Domains             []string
	URIs                []string
	Attributes          []KeyValue
	DefaultProfile      *IDName
	DefaultScanner      *WASScanner
	ScannerLocked       bool
	ProgressiveScanning bool
	IsScheduled         bool
	MalwareMonitoring   bool
	// LastScan is nil when absent.
	LastScan *WASLastScan
}

// WASUser is a WAS user reference (owner, createdBy, ignoredBy, ...).
type WASUser struct {
	ID        int64
	Username  string
	FirstName string
	LastName  string
}

// WASTag is a WAS tag.
type WASTag struct {
	ID   int64
	Name string
}

// IDName is an object reference with an id and a name.
type IDName struct {
	ID   int64
	Name string
}

// WASScanner is WebApp/defaultScanner.
type WASScanner struct {
	ID           int64
	Type         string
	Name         string
	FriendlyName string
}

// WASLastScan is WebApp/lastScan.
type WASLastScan struct {
	ID            int64
	Name          string
	Status        string
	Date          time.Time
	ResultsStatus string
	AuthStatus    string
}

// Finding is one WAS finding (ServiceResponse/data/Finding).
type Finding struct {
	ID int64
	// UniqueID is the UUID stable across scans.
	UniqueID string
	// QID is the KnowledgeBase ID, 0 when absent.
	QID            int64
	DetectionScore int64
	Name           string
	// Type is VULNERABILITY, SENSITIVE_CONTENT or INFORMATION_GATHERED.
	Type        string
	Potential   bool
	FindingType string
	Group       string
	Param       string
	Severity    int64
	// URL, Status, TimesDetected and IsIgnored are absent for
	// INFORMATION_GATHERED findings.
	URL             string
	Status          string
	TimesDetected   *int64
	IsIgnored       *bool
	FirstDetected   time.Time
	LastDetected    time.Time
	LastTested      time.Time
	Fixed           time.Time
	Updated         time.Time
	WebApp          FindingWebApp
	IgnoredReason   string
	IgnoredBy       *WASUser
	IgnoredDate     time.Time
	IgnoredComment  string
	ReactivateIn    int64
	ReactivateDate  time.Time
	ExternalRef     string
	Patch           int64
	SeverityComment string
	// CWE, OWASP, WASC and CVSSv3 come with verbose output.
	CWE    []int64
	OWASP  []Classification
	WASC   []Classification
	CVSSv3 *FindingCVSS
}

// FindingWebApp is Finding/webApp.
type FindingWebApp struct {
	ID   int64
	Name string
	URL  string
	Tags []WASTag
}

// Classification is an OWASP or WASC entry.
type Classification struct {
	Name string
	URL  string
	Code int64
}

// FindingCVSS is Finding/cvssV3.
type FindingCVSS struct {
	Base         *float64
	Temporal     *float64
	AttackVector string
}
