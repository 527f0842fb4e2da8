package qualys

import "time"

// Vuln is one KnowledgeBase vulnerability
// (KNOWLEDGE_BASE_VULN_LIST_OUTPUT/RESPONSE/VULN_LIST/VULN). Text fields are
// kept exactly as sent, HTML and entity text included.
type Vuln struct {
	QID int64
	// VulnType is e.g. Vulnerability, Potential Vulnerability, Information Gathered.
	VulnType      string
	SeverityLevel int64
	Title         string
	Category      string
	Technology    string
	DetectionInfo string
	// LastCustomization is set when a user edited the QID, nil otherwise.
	LastCustomization       *Customization
	LastServiceModification time.Time
	Published               time.Time
	CodeModified            time.Time
	Bugtraqs                []Reference
	Patchable               bool
	PatchPublished          time.Time
	Software                []Software
	VendorReferences        []Reference
	CVEs                    []Reference
	Diagnosis               string
	Consequence             string
	Solution                string
	DiagnosisComment        string
	ConsequenceComment      string
	SolutionComment         string
	Compliance              []Compliance
	// Correlation holds exploits and malware (details=All), nil when absent.
	Correlation *Correlation
	// CVSS is the CVSS v2 block, nil when absent.
	CVSS *CVSS
	// CVSSv3 is the CVSS v3 block, nil when absent.
	CVSSv3           *CVSSv3
	PCIFlag          bool
	AutomaticPCIFail bool
	PCIReasons       []string
	ThreatIntel      []ThreatIntel
	SupportedModules string
	Discovery        Discovery
	IsDisabled       bool
	ChangeLog        []ChangeLogEntry
}

// Customization is VULN/LAST_CUSTOMIZATION.
type Customization struct {
	At        time.Time
	UserLogin string
}

// Reference is an ID with a URL (CVE, BUGTRAQ, VENDOR_REFERENCE).
type Reference struct {
	ID  string
	URL string
}

// Software is SOFTWARE_LIST/SOFTWARE.
type Software struct {
	Product string
	Vendor  string
}

// Compliance is COMPLIANCE_LIST/COMPLIANCE.
type Compliance struct {
	Type        string
	Section     string
	Description string
}

// Correlation is VULN/CORRELATION.
type Correlation struct {
	Exploits []ExploitSource
	Malware  []MalwareSource
}

// ExploitSource is CORRELATION/EXPLOITS/EXPLT_SRC.
type ExploitSource struct {
	Name     string
	Exploits []Exploit
}

// Exploit is EXPLT_LIST/EXPLT.
type Exploit struct {
	Ref  string
	Desc string
	Link string
}

// MalwareSource is CORRELATION/MALWARE/MW_SRC.
type MalwareSource struct {
	Name    string
	Malware []Malware
}

// Malware is MW_LIST/MW_INFO.
type Malware struct {
	ID       string
	Type     string
	Platform string
	Alias    string
	Rating   string
	Link     string
}

// CVSS is the CVSS v2 block. Base and Temporal are nil when absent or empty;
// the sub-metrics are kept as the small codes Qualys sends.
type CVSS struct {
	Base             *float64
	BaseSource       string
	Temporal         *float64
	Vector           string
	AccessVector     string
	AccessComplexity string
	Confidentiality  string
	Integrity        string
	Availability     string
	Authentication   string
	Exploitability   string
	RemediationLevel string
	ReportConfidence string
}

// CVSSv3 is the CVSS_V3 block.
type CVSSv3 struct {
	Base                *float64
	BaseSource          string
	Temporal            *float64
	Vector              string
	Version             string
	AttackVector        string
	AttackComplexity    string
	Confidentiality     string
	Integrity           string
	Availability        string
	PrivilegesRequired  string
	UserInteraction     string
	Scope               string
	ExploitCodeMaturity string
	RemediationLevel    string
	ReportConfidence    string
}

// ThreatIntel is THREAT_INTELLIGENCE/THREAT_INTEL: its id attribute and label.
type ThreatIntel struct {
	ID    string
	Label string
}

// Discovery is VULN/DISCOVERY.
type Discovery struct {
	Remote         bool
	AuthTypes      []string
	AdditionalInfo string
}

// ChangeLogEntry is CHANGE_LOG_LIST/CHANGE_LOG_INFO.
type ChangeLogEntry struct {
	Date     time.Time
	Comments string
}
