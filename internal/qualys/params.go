package qualys

import "time"

// HostListParams select the scanned hosts listed by ScannedHostIDs.
type HostListParams struct {
	// ProcessedAfter and ProcessedBefore bound when the hosts' VM scan
	// results were processed (vm_processed_after/before); zero omits them.
	ProcessedAfter  time.Time
	ProcessedBefore time.Time
	// PageSize is truncation_limit, in hosts per page; default 10000.
	PageSize int
}

// HostAssetParams select the host assets fetched by HostAssets.
type HostAssetParams struct {
	// HostIDs are QWeb host IDs (HostAsset.qwebHostId).
	HostIDs []int64
	// ChunkSize is the number of IDs per search; default 250.
	ChunkSize int
	// PageSize is limitResults; default ChunkSize. A chunk with more
	// matches pages on with "id GREATER lastId".
	PageSize int
}

// DetectionParams select the host detections fetched by HostDetections.
type DetectionParams struct {
	// HostIDs are QWeb host IDs; required.
	HostIDs []int64
	// ChunkSize is the number of IDs per request (and truncation_limit);
	// default 1000.
	ChunkSize int
	// UpdatedSince and UpdatedBefore bound when detections changed
	// (detection_updated_since/before); zero omits them.
	UpdatedSince  time.Time
	UpdatedBefore time.Time
	// Severities (1-5) to include; empty means all.
	Severities []int
	// Statuses to include; default New, Active, Fixed, Re-Opened (Qualys
	// leaves Fixed out unless asked).
	Statuses []string
	// ShowResults adds the RESULTS evidence text.
	ShowResults bool
	// ShowIGs includes Information Gathered (Info) detections.
	ShowIGs bool
	// HideTags leaves out HOST/TAGS (sent by default with show_tags=1).
	HideTags bool
	// IncludeTags and ExcludeTags filter hosts by tag name
	// (use_tags=1&tag_set_by=name&tag_set_include/exclude).
	IncludeTags []string
	ExcludeTags []string
	// IncludeIgnored and IncludeDisabled add ignored/disabled detections.
	IncludeIgnored  bool
	IncludeDisabled bool
	// ShowAssetID, ShowQDS, ShowQDSFactors and ShowReopenedInfo add the
	// corresponding elements.
	ShowAssetID      bool
	ShowQDS          bool
	ShowQDSFactors   bool
	ShowReopenedInfo bool
	// QIDs restricts the detections to these QIDs; empty means all.
	QIDs []int64
	// ShowCloudTags adds HOST/CLOUD_PROVIDER_TAGS (show_cloud_tags=1).
	ShowCloudTags bool
	// HostMetadata adds HOST/METADATA for cloud hosts: all, ec2, azure or
	// google (host_metadata); "" leaves it out.
	HostMetadata string
}

// KBParams select the vulnerabilities fetched by KnowledgeBase.
type KBParams struct {
	// QIDs to fetch; unknown QIDs are silently left out by Qualys.
	QIDs []int64
	// ChunkSize is the number of QIDs per request; default 250.
	ChunkSize int
	// Details is Basic or All; default All (CVSS, correlation).
	Details string
	// ShowPCIReasons and ShowSupportedModules add those elements.
	ShowPCIReasons       bool
	ShowSupportedModules bool
}

// Criterion is one QPS search filter: <Criteria field operator>value</Criteria>.
type Criterion struct {
	Field    string
	Operator string
	Value    string
}

// WebAppParams select the web apps of WebApps and CountWebApps.
type WebAppParams struct {
	// IDs restricts to these web app IDs (id IN).
	IDs []int64
	// Name and URL filter with CONTAINS when set.
	Name string
	URL  string
	// Scanned filters on isScanned when non-nil.
	Scanned *bool
	// LastScanAfter keeps apps scanned after it (lastScan.date GREATER).
	LastScanAfter time.Time
	// UpdatedAfter keeps apps updated after it (updatedDate GREATER).
	UpdatedAfter time.Time
	// TagIDs keeps apps with one of these tags (tags.id IN).
	TagIDs []int64
	// Criteria are added as given.
	Criteria []Criterion
	// PageSize is limitResults; default 100. Pages follow startFromOffset.
	PageSize int
	// Verbose asks for the full records.
	Verbose bool
}

// FindingParams select the findings of WebAppFindings.
type FindingParams struct {
	// WebAppIDs restricts to these web apps (webApp.id IN); they are
	// chunked, ChunkSize per search (default 10). Empty means all apps.
	WebAppIDs []int64
	ChunkSize int
	// LastDetectedAfter keeps findings detected after it.
	LastDetectedAfter time.Time
	// FirstDetectedAfter keeps findings first detected after it.
	FirstDetectedAfter time.Time
	// LastTestedAfter keeps findings tested after it.
	LastTestedAfter time.Time
	// Statuses (NEW, ACTIVE, REOPENED, FIXED, PROTECTED) to include.
	Statuses []string
	// Types (VULNERABILITY, SENSITIVE_CONTENT, INFORMATION_GATHERED).
	Types []string
	// Severities (1-5) to include.
	Severities []int
	// Ignored filters on isIgnored when non-nil.
	Ignored *bool
	// QIDs restricts to these QIDs.
	QIDs []int64
	// Criteria are added as given.
	Criteria []Criterion
	// PageSize is limitResults; default 250. Pages follow startFromOffset.
	PageSize int
	// Verbose asks for the full records (CWE, OWASP, WASC, CVSS).
	Verbose bool
}
