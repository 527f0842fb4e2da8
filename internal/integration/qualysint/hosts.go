package qualysint

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/qgraph/qgraph/internal/graph"
	"github.com/qgraph/qgraph/internal/qualys"
)

// hostTarget is what the job keeps per scanned host: the identity of its
// Host entity and the identifiers copied onto its findings.
type hostTarget struct {
	Type string // discovered_host, aws_instance, google_compute_instance, azure_vm
	Key  string
	// Name and Hostname label the placeholder made from a finding's HAS link.
	Name     string
	Hostname string
	QWebID   int64

	FQDN                string
	EC2InstanceARN      string
	AWSAccountID        string
	GCPInstanceSelfLink string
	GCPProjectID        string
	AzureVMSourceID     string
	AzureSubscriptionID string

	// desc holds the properties of the Host entity built from the host
	// asset, encoded once with graph.Properties.AppendJSON; nil for a
	// fallback target. The job keeps a target per scanned host until the
	// detections step has run, and the bytes take far less memory than
	// the map. Type and Key are that entity's _type and _key.
	desc []byte
}

// HostTarget converts an Asset Management host asset into the Host entity
// that the VMDR service SCANS (the mapper's target) and the identifiers its
// findings carry. The kind is the first that can be built: an EC2 ARN
// (aws_instance), a GCP selfLink (google_compute_instance), an Azure
// resource id (azure_vm), else discovered_host. The error is that of
// encoding the entity's properties, which the store would refuse too.
func HostTarget(a *qualys.HostAsset) (graph.Entity, hostTarget, error) {
	t := hostTarget{QWebID: a.QWebHostID}
	t.FQDN = strings.ToLower(strings.TrimSpace(firstNonEmpty(a.DNSHostName, a.FQDN)))
	t.Hostname = firstNonEmpty(a.Hostname, t.FQDN, a.Address, strconv.FormatInt(a.ID, 10))
	t.Name = firstNonEmpty(a.Name, t.Hostname)

	p := graph.Properties{
		"name":             t.Name,
		"displayName":      t.Name,
		"hostname":         t.Hostname,
		"scannedBy":        "qualys",
		"qualysAssetId":    a.ID,
		"qualysQwebHostId": a.QWebHostID,
	}
	setString(p, "fqdn", t.FQDN)
	setString(p, "os", a.OS)
	setString(p, "platform", Platform(a.OS))
	setTime(p, "qualysCreatedOn", a.Created)
	setTime(p, "lastScannedOn", a.LastVulnScan)
	setString(p, "ipAddress", a.Address)
	setAddressClass(p, a.Address)
	tagNames := make([]string, 0, len(a.Tags))
	for _, tag := range a.Tags {
		tagNames = append(tagNames, tag.Name)
	}
	ids := []string{strconv.FormatInt(a.ID, 10), strconv.FormatInt(a.QWebHostID, 10)}

	switch {
	case ec2ARN(a) != "":
		src := a.EC2Sources[0]
		t.Type, t.Key = TypeAWSInstance, ec2ARN(a)
		t.EC2InstanceARN, t.AWSAccountID = t.Key, padAccount(src.AccountID)
		ids = append(ids, src.InstanceID)
		p["instanceId"] = src.InstanceID
		p["accountId"] = t.AWSAccountID
		setString(p, "region", src.Region)
		setString(p, "state", strings.ToLower(src.InstanceState))
		setString(p, "reservationId", src.ReservationID)
		setString(p, "availabilityZone", src.AvailabilityZone)
		setString(p, "subnetId", src.SubnetID)
		setString(p, "vpcId", src.VPCID)
		setString(p, "instanceType", src.InstanceType)
		setString(p, "imageId", src.ImageID)
		setString(p, "privateDnsName", src.PrivateDNSName)
		setString(p, "publicDnsName", src.PublicDNSName)
		setString(p, "privateIpAddress", src.PrivateIPAddress)
		setString(p, "publicIpAddress", src.PublicIPAddress)
		setSourceTimes(p, src.SourceCommon)
		tagNames = append(tagNames, applyCloudTags(p, src.Tags)...)
	case gcpSelfLink(a) != "":
		src := a.GCPSources[0]
		t.Type, t.Key = TypeGCPInstance, gcpSelfLink(a)
		t.GCPInstanceSelfLink, t.GCPProjectID = t.Key, src.ProjectID
		ids = append(ids, src.InstanceID)
		setString(p, "instanceId", src.InstanceID)
		setString(p, "instanceName", a.Name)
		setString(p, "projectId", src.ProjectID)
		setString(p, "projectIdNo", src.ProjectIDNo)
		setString(p, "zone", lastSegment(src.Zone))
		setString(p, "machineType", lastSegment(src.MachineType))
		setString(p, "imageId", src.ImageID)
		setString(p, "state", strings.ToLower(src.State))
		setString(p, "network", src.Network)
		setString(p, "macAddress", src.MACAddress)
		setString(p, "privateIpAddress", src.PrivateIPAddress)
		setString(p, "publicIpAddress", src.PublicIPAddress)
		setSourceTimes(p, src.SourceCommon)
		tagNames = append(tagNames, applyCloudTags(p, src.Tags)...)
	case azureID(a) != "":
		src := a.AzureSources[0]
		t.Type, t.Key = TypeAzureVM, azureID(a)
		t.AzureVMSourceID, t.AzureSubscriptionID = t.Key, src.SubscriptionID
		ids = append(ids, src.VMID)
		setString(p, "vmId", src.VMID)
		setString(p, "vmName", src.Name)
		setString(p, "location", src.Location)
		setString(p, "vmSize", src.VMSize)
		setString(p, "offer", src.Offer)
		setString(p, "publisher", src.Publisher)
		setString(p, "version", src.Version)
		setString(p, "osType", src.OSType)
		setString(p, "subnet", src.Subnet)
		setString(p, "subscriptionId", src.SubscriptionID)
		setString(p, "resourceGroupName", src.ResourceGroupName)
		setString(p, "state", strings.ToLower(src.State))
		setString(p, "macAddress", src.MACAddress)
		setString(p, "privateIpAddress", src.PrivateIPAddress)
		setString(p, "publicIpAddress", src.PublicIPAddress)
		setSourceTimes(p, src.SourceCommon)
		tagNames = append(tagNames, applyCloudTags(p, src.Tags)...)
	default:
		t.Type, t.Key = TypeDiscoveredHost, DiscoveredHostKey(a.QWebHostID)
	}
	p["id"] = stringList(ids...)
	setList(p, "tags", tagNames...)
	desc, err := encodeDescription(p)
	if err != nil {
		return graph.Entity{}, hostTarget{}, fmt.Errorf("host asset %d: %w", a.ID, err)
	}
	t.desc = desc
	return graph.Entity{Key: t.Key, Type: t.Type, Class: []string{"Host"}, Properties: p}, t, nil
}

// encodeDescription encodes a host's properties as JSON into a buffer
// sized to them, without the spare room of a grown one. Decoding gives
// the same properties back, so that the findings' HAS links describe the
// host exactly as its SCANS link does: the values HostTarget sets are strings, int64s and lists of
// strings, and the strings are valid UTF-8 (the qualys client refuses
// XML that is not), which the JSON encoding keeps exactly.
func encodeDescription(p graph.Properties) ([]byte, error) {
	var scratch [2048]byte
	b, err := p.AppendJSON(scratch[:0])
	if err != nil {
		return nil, fmt.Errorf("encode host properties: %w", err)
	}
	return bytes.Clone(b), nil
}

// fallbackTarget is the Host of a detection whose host has no host asset:
// a discovered_host built from the detection's host record.
func fallbackTarget(h *qualys.DetectionHost) hostTarget {
	fqdn := strings.ToLower(firstNonEmpty(h.DNSData.FQDN, h.DNS))
	hostname := firstNonEmpty(h.DNSData.Hostname, fqdn, h.NetBIOS, h.IP, strconv.FormatInt(h.ID, 10))
	return hostTarget{Type: TypeDiscoveredHost, Key: DiscoveredHostKey(h.ID), Name: hostname, Hostname: hostname, QWebID: h.ID, FQDN: fqdn}
}

// entity is the target entity of the HAS links of the host's findings.
// For a host with a host asset it is the entity its SCANS link carries,
// decoded from desc, so that the placeholder the mapper makes does not
// depend on which link it reads last; a host without one (fallbackTarget)
// gets a small entity from the detection's host record. Each call makes a
// new entity: call it once per host record and give the result to every
// finding of the host (HostFindingLinks), as nothing downstream changes a
// mapping's target properties.
func (t *hostTarget) entity() (graph.Entity, error) {
	if t.desc != nil {
		var p graph.Properties
		if err := p.UnmarshalJSON(t.desc); err != nil {
			return graph.Entity{}, fmt.Errorf("decode the properties of host %s: %w", t.Key, err)
		}
		return graph.Entity{Key: t.Key, Type: t.Type, Class: []string{"Host"}, Properties: p}, nil
	}
	p := graph.Properties{"name": t.Name, "displayName": t.Name, "hostname": t.Hostname, "qualysQwebHostId": t.QWebID, "scannedBy": "qualys"}
	setString(p, "fqdn", t.FQDN)
	return graph.Entity{Key: t.Key, Type: t.Type, Class: []string{"Host"}, Properties: p}, nil
}

// filterKeys says how the mapper finds the host: a discovered host is any
// Host with the same QWEB host id, a cloud host is its cloud identity.
func (t *hostTarget) filterKeys() [][]string {
	if t.Type == TypeDiscoveredHost {
		return [][]string{{"_class", "qualysQwebHostId"}}
	}
	return [][]string{{"_type", "_key"}}
}

// ScansMapping is the mapped relationship VMDR SCANS Host. Every kind
// shares one key space, so a host appears once whatever its kind.
func ScansMapping(target graph.Entity, qwebHostID int64) graph.MappedRelationship {
	t := hostTarget{Type: target.Type}
	return graph.MappedRelationship{
		Key:              graph.RelationshipKey(KeyVMDR, ClassScans, DiscoveredHostKey(qwebHostID)),
		Type:             relVMDRScans[target.Type],
		Class:            ClassScans,
		Direction:        graph.Forward,
		SourceKey:        KeyVMDR,
		TargetFilterKeys: t.filterKeys(),
		TargetEntity:     target,
	}
}

func setAddressClass(p graph.Properties, addr string) {
	switch ClassifyIP(addr) {
	case IPPublic:
		p["publicIpAddress"] = strings.TrimSpace(addr)
	case IPPrivate:
		p["privateIpAddress"] = strings.TrimSpace(addr)
	}
}

func setSourceTimes(p graph.Properties, s qualys.SourceCommon) {
	setTime(p, "qualysFirstDiscoveredOn", s.FirstDiscovered)
	setTime(p, "qualysLastUpdatedOn", s.LastUpdated)
}

// applyCloudTags sets tag.<key> for each cloud tag (values stay strings)
// and returns the keys whose value is "true", which also become tags.
func applyCloudTags(p graph.Properties, tags []qualys.KeyValue) []string {
	var flags []string
	for _, kv := range tags {
		k := strings.TrimSpace(kv.Key)
		if k == "" || !tagKeyOK(k) {
			continue
		}
		p["tag."+k] = kv.Value
		if strings.EqualFold(kv.Value, "true") {
			flags = append(flags, k)
		}
		switch strings.ToLower(k) {
		case "name":
			if kv.Value != "" {
				p["displayName"] = kv.Value
			}
		case "owner", "email", "classification":
			p[strings.ToLower(k)] = strings.ToLower(kv.Value)
		}
	}
	return flags
}

// tagKeyOK reports whether tag.<k> is a valid property name.
func tagKeyOK(k string) bool {
	for _, r := range k {
		ok := r == '.' || r == ' ' || r == '-' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
		if !ok {
			return false
		}
	}
	return true
}

// ec2ARN builds arn:<partition>:ec2:<region>:<account>:instance/<id>, with
// the partition following the region (aws-us-gov, aws-cn, aws).
func ec2ARN(a *qualys.HostAsset) string {
	if len(a.EC2Sources) == 0 {
		return ""
	}
	s := a.EC2Sources[0]
	region, account, id := strings.TrimSpace(s.Region), padAccount(s.AccountID), strings.TrimSpace(s.InstanceID)
	if region == "" || account == "" || id == "" {
		return ""
	}
	partition := "aws"
	switch {
	case strings.HasPrefix(region, "us-gov-"):
		partition = "aws-us-gov"
	case strings.HasPrefix(region, "cn-"):
		partition = "aws-cn"
	case strings.HasPrefix(region, "us-iso-"):
		partition = "aws-iso"
	case strings.HasPrefix(region, "us-isob-"):
		partition = "aws-iso-b"
	}
	return "arn:" + partition + ":ec2:" + region + ":" + account + ":instance/" + id
}

// padAccount left-pads an AWS account id to 12 digits.
func padAccount(id string) string {
	id = strings.TrimSpace(id)
	if id == "" {
		return ""
	}
	for len(id) < 12 {
		id = "0" + id
	}
	return id
}

// gcpSelfLink builds the instance selfLink from the project, the zone and
// the instance name (the asset name, else the GCP hostname).
func gcpSelfLink(a *qualys.HostAsset) string {
	if len(a.GCPSources) == 0 {
		return ""
	}
	s := a.GCPSources[0]
	name := firstNonEmpty(a.Name, s.Hostname)
	project, zone := strings.TrimSpace(s.ProjectID), lastSegment(s.Zone)
	if project == "" || zone == "" || name == "" || strings.ContainsAny(name, " /") {
		return ""
	}
	return "https://www.googleapis.com/compute/v1/projects/" + project + "/zones/" + zone + "/instances/" + name
}

// azureID builds the lower-cased Azure resource id of a VM.
func azureID(a *qualys.HostAsset) string {
	if len(a.AzureSources) == 0 {
		return ""
	}
	s := a.AzureSources[0]
	sub, rg, name := strings.TrimSpace(s.SubscriptionID), strings.TrimSpace(s.ResourceGroupName), strings.TrimSpace(s.Name)
	if sub == "" || rg == "" || name == "" {
		return ""
	}
	return strings.ToLower("/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/Microsoft.Compute/virtualMachines/" + name)
}

func lastSegment(s string) string {
	s = strings.TrimRight(strings.TrimSpace(s), "/")
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		return s[i+1:]
	}
	return s
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}

// isoWindow formats a window bound for logs.
func isoWindow(t time.Time) string {
	if t.IsZero() {
		return "(unbounded)"
	}
	return t.UTC().Format(time.RFC3339)
}
