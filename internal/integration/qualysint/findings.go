package qualysint

import (
	"strconv"
	"strings"

	"github.com/qgraph/qgraph/internal/graph"
	"github.com/qgraph/qgraph/internal/qualys"
)

// FindingOptions are the instance settings that shape findings.
type FindingOptions struct {
	// Types are the detection types kept (Info, Potential, Confirmed); an
	// empty set keeps all.
	Types map[string]bool
	// ResultQIDs are the QIDs whose RESULTS are kept in details.
	ResultQIDs map[int64]bool
	// Production and Public are copied onto findings; nil is null.
	Production *bool
	Public     *bool
}

// keepType reports whether a detection of type typ is kept. A detection
// without a type is kept.
func (o *FindingOptions) keepType(typ string) bool {
	if len(o.Types) == 0 || typ == "" {
		return true
	}
	for t := range o.Types {
		if strings.EqualFold(t, typ) {
			return true
		}
	}
	return false
}

// maxDetailsLen caps the scan results kept in a finding's details.
const maxDetailsLen = 300

// HostFinding converts one detection of a host into a qualys_host_finding.
func HostFinding(h *qualys.DetectionHost, d *qualys.Detection, t *hostTarget, o *FindingOptions) graph.Entity {
	key := HostFindingKey(h.ID, d.Port, d.Protocol, d.QID, d.SSL)
	p := make(graph.Properties, 40)
	name := "QID " + strconv.FormatInt(d.QID, 10)
	p["name"], p["displayName"], p["id"] = name, name, key
	p["qid"] = d.QID
	p["hostId"] = h.ID
	p["category"] = "system-scan"
	setString(p, "type", d.Type)
	setSeverity(p, d.Severity)
	setString(p, "status", d.Status)
	p["open"] = isOpen(d.Status)
	if d.Port != nil {
		p["port"] = *d.Port
	}
	setString(p, "protocol", d.Protocol)
	if d.SSL != nil {
		p["ssl"] = *d.SSL
	}
	p["isIgnored"] = d.IsIgnored
	p["isDisabled"] = d.IsDisabled
	setInt(p, "uniqueVulnId", d.UniqueVulnID)
	setInt(p, "numTimesFound", d.TimesFound)
	setTime(p, "createdOn", d.FirstFound)
	setTime(p, "updatedOn", d.LastFound)
	setTime(p, "firstFoundOn", d.FirstFound)
	setTime(p, "lastFoundOn", d.LastFound)
	setTime(p, "lastProcessedOn", d.LastProcessed)
	setTime(p, "lastTestedOn", d.LastTest)
	setTime(p, "lastUpdatedOn", d.LastUpdate)
	setTime(p, "lastFixedOn", d.LastFixed)
	setTime(p, "lastReopenedOn", d.LastReopened)
	if d.QDS != nil {
		p["qdsScore"] = d.QDS.Score
		setString(p, "qdsSeverity", d.QDS.Severity)
	}
	if o.ResultQIDs[d.QID] && d.Results != "" {
		p["details"] = truncate(d.Results, maxDetailsLen)
	}
	setOptionalBool(p, "production", o.Production)
	setOptionalBool(p, "public", o.Public)

	setString(p, "ipAddress", h.IP)
	setString(p, "fqdn", t.FQDN)
	setString(p, "ec2InstanceArn", t.EC2InstanceARN)
	setString(p, "awsAccountId", t.AWSAccountID)
	setString(p, "gcpInstanceSelfLink", t.GCPInstanceSelfLink)
	setString(p, "gcpProjectId", t.GCPProjectID)
	setString(p, "azureVmSourceId", t.AzureVMSourceID)
	setString(p, "azureSubscriptionId", t.AzureSubscriptionID)
	p["targets"] = stringList(h.IP, h.IPv6, strconv.FormatInt(h.ID, 10), t.FQDN, t.EC2InstanceARN, t.GCPInstanceSelfLink, t.GCPProjectID, t.AzureVMSourceID)
	if len(h.Tags) > 0 {
		names := make([]string, len(h.Tags))
		for i, tag := range h.Tags {
			names[i] = tag.Name
		}
		setList(p, "tags", names...)
	}
	return graph.Entity{Key: key, Type: TypeHostFinding, Class: []string{"Finding"}, Properties: p}
}

// HostFindingLinks returns the relationships of a host finding: VMDR
// IDENTIFIED finding and finding IS qualys_vuln (direct), and Host HAS
// finding (mapped to the host target). host is the target's entity
// (t.entity()); the mapping carries it as is, so the findings of one host
// share one description of it.
func HostFindingLinks(findingKey string, qid int64, t *hostTarget, host graph.Entity) ([]graph.Relationship, graph.MappedRelationship) {
	rels := []graph.Relationship{
		{Key: graph.RelationshipKey(KeyVMDR, ClassIdentified, findingKey), Type: RelVMDRIdentified, Class: ClassIdentified, FromKey: KeyVMDR, ToKey: findingKey},
		vulnLink(findingKey, RelHostFindingIsVuln, qid),
	}
	has := graph.MappedRelationship{
		Key:              graph.RelationshipKey(findingKey, ClassHas, t.Key),
		Type:             relHostHasFinding[t.Type],
		Class:            ClassHas,
		Direction:        graph.Reverse,
		SourceKey:        findingKey,
		TargetFilterKeys: t.filterKeys(),
		TargetEntity:     host,
	}
	return rels, has
}

// WebAppEntity converts a WAS web app into a web_app entity.
func WebAppEntity(w *qualys.WebApp) graph.Entity {
	name := firstNonEmpty(w.Name, w.URL, strconv.FormatInt(w.ID, 10))
	p := graph.Properties{"name": name, "displayName": name, "id": strconv.FormatInt(w.ID, 10), "webAppId": w.ID}
	setString(p, "url", w.URL)
	setString(p, "os", w.OS)
	setInt(p, "riskScore", w.RiskScore)
	setTime(p, "createdOn", w.Created)
	setTime(p, "updatedOn", w.Updated)
	if w.LastScan != nil {
		setTime(p, "lastScannedOn", w.LastScan.Date)
		setString(p, "lastScanStatus", w.LastScan.Status)
	}
	if w.Owner != nil {
		setString(p, "owner", w.Owner.Username)
	}
	names := make([]string, len(w.Tags))
	for i, t := range w.Tags {
		names[i] = t.Name
	}
	setList(p, "tags", names...)
	return graph.Entity{Key: WebAppKey(w.ID), Type: TypeWebApp, Class: []string{"Application"}, Properties: p}
}

// WebAppScanned is the relationship WAS SCANS web_app.
func WebAppScanned(webAppKey string) graph.Relationship {
	return graph.Relationship{Key: graph.RelationshipKey(KeyWAS, ClassScans, webAppKey), Type: RelWASScansWebApp, Class: ClassScans, FromKey: KeyWAS, ToKey: webAppKey}
}

// WebFinding converts a WAS finding into a qualys_web_app_finding. ok is
// false when the finding has no usable unique id.
func WebFinding(f *qualys.Finding, o *FindingOptions) (graph.Entity, bool) {
	key := strings.TrimSpace(f.UniqueID)
	if len(key) < graph.MinKeyLength {
		return graph.Entity{}, false
	}
	name := firstNonEmpty(f.Name, "QID "+strconv.FormatInt(f.QID, 10))
	p := graph.Properties{"name": name, "displayName": name, "id": strconv.FormatInt(f.ID, 10), "category": "app-scan"}
	setInt(p, "qid", f.QID)
	setString(p, "type", f.Type)
	setString(p, "findingType", f.FindingType)
	setSeverity(p, f.Severity)
	setString(p, "status", f.Status)
	p["open"] = isOpen(f.Status)
	p["potential"] = f.Potential
	if f.IsIgnored != nil {
		p["isIgnored"] = *f.IsIgnored
	}
	setString(p, "ignoredReason", f.IgnoredReason)
	if f.TimesDetected != nil {
		p["numTimesFound"] = *f.TimesDetected
	}
	setString(p, "url", f.URL)
	setTime(p, "createdOn", f.FirstDetected)
	setTime(p, "updatedOn", f.LastDetected)
	setTime(p, "firstFoundOn", f.FirstDetected)
	setTime(p, "lastFoundOn", f.LastDetected)
	setTime(p, "lastTestedOn", f.LastTested)
	setTime(p, "fixedOn", f.Fixed)
	if f.WebApp.ID != 0 {
		p["webAppId"] = f.WebApp.ID
	}
	p["targets"] = stringList(f.WebApp.Name, f.WebApp.URL)
	if f.CVSSv3 != nil && f.CVSSv3.Base != nil {
		p["cvssScoreV3"] = *f.CVSSv3.Base
	}
	if len(f.CWE) > 0 {
		cwe := make([]string, len(f.CWE))
		for i, c := range f.CWE {
			cwe[i] = "CWE-" + strconv.FormatInt(c, 10)
		}
		setList(p, "cwe", cwe...)
	}
	setOptionalBool(p, "production", o.Production)
	setOptionalBool(p, "public", o.Public)
	return graph.Entity{Key: key, Type: TypeWebFinding, Class: []string{"Finding"}, Properties: p}, true
}

// WebFindingLinks returns WAS IDENTIFIED finding, web_app HAS finding (when
// the web app is known) and finding IS qualys_vuln (when it has a QID).
func WebFindingLinks(findingKey string, f *qualys.Finding) []graph.Relationship {
	rels := []graph.Relationship{
		{Key: graph.RelationshipKey(KeyWAS, ClassIdentified, findingKey), Type: RelWASIdentified, Class: ClassIdentified, FromKey: KeyWAS, ToKey: findingKey},
	}
	if f.WebApp.ID != 0 {
		app := WebAppKey(f.WebApp.ID)
		rels = append(rels, graph.Relationship{Key: graph.RelationshipKey(app, ClassHas, findingKey), Type: RelWebAppHasFinding, Class: ClassHas, FromKey: app, ToKey: findingKey})
	}
	if f.QID != 0 {
		rels = append(rels, vulnLink(findingKey, RelWebFindingIsVuln, f.QID))
	}
	return rels
}

// vulnLink is the direct relationship finding IS qualys_vuln; relType is
// RelHostFindingIsVuln or RelWebFindingIsVuln.
func vulnLink(findingKey, relType string, qid int64) graph.Relationship {
	vuln := VulnKey(qid)
	return graph.Relationship{Key: graph.RelationshipKey(findingKey, ClassIs, vuln), Type: relType, Class: ClassIs, FromKey: findingKey, ToKey: vuln}
}
