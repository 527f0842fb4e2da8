package qualys

import "time"

// HostAsset is one Asset Management HostAsset (ServiceResponse/data/HostAsset).
type HostAsset struct {
	// ID is the asset ID.
	ID       int64
	Name     string
	Created  time.Time
	Modified time.Time
	Type     string
	// QWebHostID is the VM host ID (joins DetectionHost.ID), 0 when absent.
	QWebHostID                 int64
	TrackingMethod             string
	LastVulnScan               time.Time
	LastComplianceScan         time.Time
	LastSystemBoot             time.Time
	VulnsUpdated               time.Time
	InformationGatheredUpdated time.Time
	// FQDN may be "" (sent empty).
	FQDN             string
	DNSHostName      string
	NetBIOSName      string
	NetBIOSNetworkID int64
	NetworkGUID      string
	Address          string
	Domain           string
	OS               string
	Hostname         string
	Manufacturer     string
	Model            string
	BIOSDescription  string
	Timezone         string
	TotalMemory      int64
	LastLoggedOnUser string
	IsDockerHost     bool
	CloudProvider    string
	CriticalityScore int64
	Tags             []AssetTag
	// EC2Sources, AzureSources and GCPSources are the cloud entries of
	// sourceInfo/list; OtherSources counts the rest (e.g. empty AssetSource).
	EC2Sources        []EC2Source
	AzureSources      []AzureSource
	GCPSources        []GCPSource
	OtherSources      int
	NetworkInterfaces []NetworkInterface
	OpenPorts         []OpenPort
	Software          []InstalledSoftware
	Vulns             []AssetVuln
	Processors        []Processor
	Volumes           []Volume
	// Accounts are the usernames of HostAssetAccount entries.
	Accounts []string
	// Agent is agentInfo, nil for hosts without an agent.
	Agent *AgentInfo
	// Docker is dockerInfo, nil when absent.
	Docker *DockerInfo
}

// AssetTag is tags/list/TagSimple (or the older tags/TAG form). The name
// stays a string even when it looks numeric.
type AssetTag struct {
	ID   int64
	Name string
}

// KeyValue is a cloud tag (EC2Tags, AzureTags, GCPTags) or an attribute.
// Values stay strings even when they look numeric or boolean.
type KeyValue struct {
	Key   string
	Value string
}

// SourceCommon holds the fields every sourceInfo entry has.
type SourceCommon struct {
	AssetID         int64
	Type            string
	FirstDiscovered time.Time
	LastUpdated     time.Time
}

// EC2Source is sourceInfo/list/Ec2AssetSourceSimple.
type EC2Source struct {
	SourceCommon
	ReservationID     string
	AvailabilityZone  string
	PrivateDNSName    string
	PublicDNSName     string
	InstanceID        string
	InstanceType      string
	CreatedDate       time.Time
	LaunchTime        time.Time
	InstanceState     string
	GroupID           string
	GroupName         string
	InstanceGroupID   string
	InstanceGroupName string
	SpotInstance      bool
	// AccountID keeps its leading zeros.
	AccountID         string
	SubnetID          string
	VPCID             string
	Region            string
	Zone              string
	ImageID           string
	KeyName           string
	LocalHostname     string
	MACAddress        string
	PublicIPAddress   string
	PrivateIPAddress  string
	MonitoringEnabled bool
	Tags              []KeyValue
}

// AzureSource is sourceInfo/list/AzureAssetSourceSimple.
type AzureSource struct {
	SourceCommon
	Name     string
	Location string
	VMSize   string
	VMID     string
	Offer    string
	// State is joined with "," when Qualys sends several.
	State             string
	Publisher         string
	Version           string
	OSType            string
	Subnet            string
	VirtualNetwork    string
	SubscriptionID    string
	ResourceGroupName string
	MACAddress        string
	PrivateIPAddress  string
	PublicIPAddress   string
	IPv6              string
	Tags              []KeyValue
}

// GCPSource is sourceInfo/list/GcpAssetSourceSimple.
type GCPSource struct {
	SourceCommon
	// InstanceID is an 18+ digit number, kept as a string.
	InstanceID  string
	Hostname    string
	MachineType string
	ImageID     string
	Zone        string
	// ProjectIDNo is a 13-digit number, kept as a string.
	ProjectIDNo      string
	ProjectID        string
	State            string
	Network          string
	MACAddress       string
	PublicIPAddress  string
	PrivateIPAddress string
	Tags             []KeyValue
}

// NetworkInterface is networkInterface/list/HostAssetInterface.
type NetworkInterface struct {
	Hostname       string
	InterfaceID    string
	InterfaceName  string
	MACAddress     string
	Type           string
	Address        string
	GatewayAddress string
}

// OpenPort is openPort/list/HostAssetOpenPort.
type OpenPort struct {
	Port        int64
	Protocol    string
	ServiceID   int64
	ServiceName string
}

// InstalledSoftware is software/list/HostAssetSoftware; Version stays a string.
type InstalledSoftware struct {
	Name    string
	Version string
}

// AssetVuln is vuln/list/HostAssetVuln.
type AssetVuln struct {
	QID                int64
	HostInstanceVulnID int64
	FirstFound         time.Time
	LastFound          time.Time
}

// Processor is processor/list/HostAssetProcessor.
type Processor struct {
	Name  string
	Speed int64
}

// Volume is volume/list/HostAssetVolume; sizes in bytes.
type Volume struct {
	Name string
	Size int64
	Free int64
}

// AgentInfo is HostAsset/agentInfo.
type AgentInfo struct {
	AgentVersion         string
	AgentID              string
	Status               string
	LastCheckedIn        time.Time
	ConnectedFrom        string
	ChirpStatus          string
	Platform             string
	ActivatedModule      string
	ManifestVM           string
	ManifestPC           string
	ManifestSCA          string
	ConfigurationID      int64
	ConfigurationName    string
	ActivationID         string
	ActivationTitle      string
	LocalIPv4            string
	LocalIPv6            string
	Location             string
	LocationGeoLatitude  string
	LocationGeoLongitude string
}

// DockerInfo is HostAsset/dockerInfo.
type DockerInfo struct {
	DockerVersion  string
	NoOfContainers int64
	NoOfImages     int64
}
