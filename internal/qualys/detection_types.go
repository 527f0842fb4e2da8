package qualys

import "time"

// DetectionHost is one HOST of the host detection list, with all its
// detections (HOST_LIST_VM_DETECTION_OUTPUT/RESPONSE/HOST_LIST/HOST).
// Optional elements absent from the response leave the zero value.
type DetectionHost struct {
	// ID is the QWeb host ID (joins HostAsset.QWebHostID).
	ID int64
	// AssetID is the Asset Management asset ID (show_asset_id=1), 0 if absent.
	AssetID         int64
	IP              string
	IPv6            string
	TrackingMethod  string
	NetworkID       int64
	OS              string
	OSCPE           string
	DNS             string
	DNSData         DNSData
	CloudProvider   string
	CloudService    string
	CloudResourceID string
	EC2InstanceID   string
	NetBIOS         string
	// QGHostID is the agent host UUID.
	QGHostID                  string
	LastScan                  time.Time
	LastVMScanned             time.Time
	LastVMScannedDuration     int64
	LastVMAuthScanned         time.Time
	LastVMAuthScannedDuration int64
	LastPCScanned             time.Time
	// Tags are the host's Qualys tags (show_tags=1).
	Tags []HostTag
	// Metadata holds cloud metadata per provider (host_metadata=...).
	Metadata []CloudMetadata
	// CloudTags are the cloud provider tags (show_cloud_tags=1).
	CloudTags []CloudTag
	// Detections are the host's detections, in response order.
	Detections []Detection
}

// DNSData is HOST/DNS_DATA.
type DNSData struct {
	Hostname string
	Domain   string
	FQDN     string
}

// HostTag is HOST/TAGS/TAG. Name stays a string even when it looks numeric.
type HostTag struct {
	// ID is TAG_ID, 0 when absent.
	ID              int64
	Name            string
	Color           string
	BackgroundColor string
}

// CloudMetadata is one provider block (EC2, GOOGLE or AZURE) of HOST/METADATA.
type CloudMetadata struct {
	// Provider is the element name: EC2, GOOGLE or AZURE.
	Provider   string
	Attributes []MetadataAttribute
}

// MetadataAttribute is METADATA/<provider>/ATTRIBUTE.
type MetadataAttribute struct {
	Name        string
	LastStatus  string
	Value       string
	LastSuccess time.Time
	LastError   time.Time
	// LastErrorText is LAST_ERROR.
	LastErrorText string
}

// CloudTag is CLOUD_PROVIDER_TAGS/CLOUD_TAG. Value stays a string.
type CloudTag struct {
	Name        string
	Value       string
	LastSuccess time.Time
}

// Detection is HOST/DETECTION_LIST/DETECTION.
type Detection struct {
	// UniqueVulnID is the stable detection ID, 0 when absent.
	UniqueVulnID int64
	QID          int64
	// Type is Confirmed, Potential or Info.
	Type     string
	Severity int64
	// Port is nil for host-level detections.
	Port *int64
	// Protocol is tcp or udp, "" when absent.
	Protocol string
	FQDN     string
	// SSL is nil when absent.
	SSL      *bool
	Instance string
	// Results is the scanner evidence (show_results=1), kept as sent.
	Results string
	// Status is New, Active, Fixed or Re-Opened.
	Status     string
	FirstFound time.Time
	LastFound  time.Time
	// QDS is the Qualys Detection Score (show_qds=1), nil when absent.
	QDS *QDS
	// QDSFactors are the QDS contributing factors (show_qds_factors=1).
	QDSFactors    []QDSFactor
	TimesFound    int64
	LastTest      time.Time
	LastUpdate    time.Time
	LastFixed     time.Time
	FirstReopened time.Time
	LastReopened  time.Time
	TimesReopened int64
	Service       string
	IsIgnored     bool
	IsDisabled    bool
	// The ARF flags, nil when absent.
	AffectRunningKernel     *bool
	AffectRunningService    *bool
	AffectExploitableConfig *bool
	LastProcessed           time.Time
	AssetCVE                string
}

// QDS is DETECTION/QDS: the score and its severity attribute.
type QDS struct {
	Score    int64
	Severity string
}

// QDSFactor is one QDS_FACTORS/QDS_FACTOR; values are strings as sent.
type QDSFactor struct {
	Name  string
	Value string
}
