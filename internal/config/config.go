package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/qgraph/qgraph/internal/mapper"
)

// Config is a loaded, validated configuration file.
type Config struct {
	// Path is the file the configuration was read from ("" when parsed
	// from bytes).
	Path      string
	Instances []Instance
	// MappingRules are the global mapping rules of the file, without the
	// default ones (see MapperRules).
	MappingRules []mapper.Rule
}

// Instance is one integration instance: a Qualys subscription and how to
// read it.
type Instance struct {
	// Name identifies the instance; it names the store scope and the
	// account entity ("Account Name").
	Name        string
	Description string
	// PollingInterval says how often the scheduler runs the instance.
	PollingInterval PollingInterval
	// TagWithAccountName sets tag.AccountName = Name on every entity.
	TagWithAccountName bool
	Qualys             Qualys
}

// Qualys holds the Qualys settings of an instance, with defaults applied.
type Qualys struct {
	// APIURL is the normalised API base URL (no trailing slash).
	APIURL   string
	Username string
	// Password is secret: never print or log it.
	Password string
	// UsernameFrom and PasswordFrom say where the username and password
	// come from, in a form safe to print: their environment references
	// ("${QUALYS_PASSWORD}"), "passwordFile PATH", or "" when written in
	// the file. With LoadForListing, a value whose source was not read is
	// empty and only these say where it would come from.
	UsernameFrom string
	PasswordFrom string

	// MinScannedSinceDays bounds how far back the first run reads scanned
	// hosts and web apps (default 7).
	MinScannedSinceDays float64
	// MinFindingsSinceDays bounds how far back the first run reads
	// detections and web-app findings (default 7).
	MinFindingsSinceDays float64
	// VMDRFindingSeverities are the detection severities requested
	// (default 3, 4, 5).
	VMDRFindingSeverities []int
	// VMDRFindingTypes are the detection types kept: Info, Potential,
	// Confirmed (default Potential, Confirmed).
	VMDRFindingTypes []string
	// VMDRFindingStatuses are the detection statuses requested (default
	// New, Active, Re-Opened, Fixed; Fixed closes findings).
	VMDRFindingStatuses []string
	// VMDRFindingResultQIDs are the QIDs whose scan results are kept in
	// the finding's details.
	VMDRFindingResultQIDs []int64
	// IngestWebAppScans enables the WAS steps (default true).
	IngestWebAppScans bool
	// WebAppScanApplicationIDs limits WAS to these web app ids.
	WebAppScanApplicationIDs []int64
	// WASFindingSeverities are the web-app finding severities kept
	// (default all, 1–5).
	WASFindingSeverities []int
	// WASFindingTypes are the web-app finding types kept: VULNERABILITY,
	// SENSITIVE_CONTENT, INFORMATION_GATHERED (default all).
	WASFindingTypes []string
	// IncludeOnlyDetectionTags limits hosts and detections to hosts
	// carrying one of these tag names.
	IncludeOnlyDetectionTags []string
	// Production and Public are copied onto findings and vulnerabilities;
	// nil means unknown (stored as null).
	Production *bool
	Public     *bool
}

// PollingInterval is how often an instance is synced.
type PollingInterval string

// The polling intervals.
const (
	Disabled       PollingInterval = "DISABLED"
	ThirtyMinutes  PollingInterval = "THIRTY_MINUTES"
	OneHour        PollingInterval = "ONE_HOUR"
	FourHours      PollingInterval = "FOUR_HOURS"
	EightHours     PollingInterval = "EIGHT_HOURS"
	TwelveHours    PollingInterval = "TWELVE_HOURS"
	OneDay         PollingInterval = "ONE_DAY"
	OneWeek        PollingInterval = "ONE_WEEK"
	defaultPolling                 = OneDay
)

var pollingDurations = map[PollingInterval]time.Duration{
	Disabled:      0,
	ThirtyMinutes: 30 * time.Minute,
	OneHour:       time.Hour,
	FourHours:     4 * time.Hour,
	EightHours:    8 * time.Hour,
	TwelveHours:   12 * time.Hour,
	OneDay:        24 * time.Hour,
	OneWeek:       7 * 24 * time.Hour,
}

// Duration returns the interval as a duration; 0 for DISABLED.
func (p PollingInterval) Duration() time.Duration { return pollingDurations[p] }

// Defaults of the Qualys settings (upstream §4, with WAS on by default).
var (
	// DefaultSeverities are the detection severities requested by default.
	DefaultSeverities = []int{3, 4, 5}
	// DefaultFindingTypes are the detection types kept by default.
	DefaultFindingTypes = []string{"Potential", "Confirmed"}
	// DefaultFindingStatuses are the detection statuses requested by default.
	DefaultFindingStatuses = []string{"New", "Active", "Re-Opened", "Fixed"}
)

// DefaultDays is the default of minScannedSinceDays and minFindingsSinceDays.
const DefaultDays = 7.0

// Instance returns the instance called name.
func (c *Config) Instance(name string) (*Instance, error) {
	for i := range c.Instances {
		if c.Instances[i].Name == name {
			return &c.Instances[i], nil
		}
	}
	names := make([]string, len(c.Instances))
	for i, in := range c.Instances {
		names[i] = in.Name
	}
	return nil, fmt.Errorf("no instance named %q in the config (instances: %s)", name, strings.Join(names, ", "))
}

// masked replaces a secret in printable output.
const masked = "********"

// Redacted returns a copy of c with every secret masked, safe to print.
func (c *Config) Redacted() *Config {
	out := *c
	out.Instances = make([]Instance, len(c.Instances))
	for i, in := range c.Instances {
		out.Instances[i] = in.Redacted()
	}
	return &out
}

// Redacted returns a copy of in with the password masked.
func (in Instance) Redacted() Instance {
	if in.Qualys.Password != "" {
		in.Qualys.Password = masked
	}
	return in
}

// String renders the instance with its password masked.
func (in Instance) String() string {
	r := in.Redacted()
	return fmt.Sprintf("%s (%s as %s, password %s)", r.Name, r.Qualys.APIURL, r.Qualys.Username, r.Qualys.Password)
}

// GoString masks the password in %#v output too.
func (q Qualys) GoString() string {
	pw := ""
	if q.Password != "" {
		pw = masked
	}
	return fmt.Sprintf("config.Qualys{APIURL:%q, Username:%q, Password:%q}", q.APIURL, q.Username, pw)
}

// DefaultQualys returns Qualys settings holding every default, for
// instances built in code (the demo, tests); connection settings are empty.
func DefaultQualys() Qualys {
	return Qualys{
		MinScannedSinceDays:   DefaultDays,
		MinFindingsSinceDays:  DefaultDays,
		VMDRFindingSeverities: append([]int(nil), DefaultSeverities...),
		VMDRFindingTypes:      append([]string(nil), DefaultFindingTypes...),
		VMDRFindingStatuses:   append([]string(nil), DefaultFindingStatuses...),
		IngestWebAppScans:     true,
	}
}
