package qualysint

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/qgraph/qgraph/internal/graph"
	"github.com/qgraph/qgraph/internal/qualys"
)

// VulnEntity converts a KnowledgeBase vulnerability into a qualys_vuln.
// apiURL builds the webLink to the Qualys UI.
func VulnEntity(v *qualys.Vuln, apiURL string, o *FindingOptions) graph.Entity {
	name := firstNonEmpty(v.Title, "QID "+strconv.FormatInt(v.QID, 10))
	p := graph.Properties{
		"name": name, "displayName": name,
		"id": strconv.FormatInt(v.QID, 10), "qid": v.QID,
		"blocking": false, "open": true,
	}
	setString(p, "category", v.Category)
	if _, ok := p["category"]; !ok {
		p["category"] = nil
	}
	setSeverity(p, v.SeverityLevel)
	delete(p, "qualysSeverity")
	setInt(p, "severityLevel", v.SeverityLevel)
	if link := VulnWebLink(apiURL, v.QID); link != "" {
		p["webLink"] = link
	}
	setString(p, "vulnType", v.VulnType)
	setString(p, "technology", v.Technology)
	cves := make([]any, 0, len(v.CVEs))
	for _, c := range v.CVEs {
		if id := strings.TrimSpace(c.ID); id != "" {
			cves = append(cves, strings.ToUpper(id))
		}
	}
	p["cveIds"] = cves
	if v.CVSS != nil {
		setFloat(p, "cvssScore", v.CVSS.Base)
		setFloat(p, "cvssTemporalScore", v.CVSS.Temporal)
		setString(p, "cvssVector", v.CVSS.Vector)
	}
	if v.CVSSv3 != nil {
		setFloat(p, "cvssScoreV3", v.CVSSv3.Base)
		setFloat(p, "cvssTemporalScoreV3", v.CVSSv3.Temporal)
		setString(p, "cvssVectorV3", v.CVSSv3.Vector)
	}
	setString(p, "solution", truncate(v.Solution, maxPropertyLen))
	setString(p, "diagnosis", truncate(v.Diagnosis, maxPropertyLen))
	setString(p, "consequence", truncate(v.Consequence, maxPropertyLen))
	p["discoveryRemote"] = v.Discovery.Remote
	p["patchable"] = v.Patchable
	p["pciFlag"] = v.PCIFlag
	setTime(p, "publishedOn", v.Published)
	setTime(p, "lastModifiedOn", v.LastServiceModification)
	setTime(p, "patchPublishedOn", v.PatchPublished)
	if len(v.ThreatIntel) > 0 {
		labels := make([]string, len(v.ThreatIntel))
		for i, t := range v.ThreatIntel {
			labels[i] = t.Label
		}
		setList(p, "threatIntel", labels...)
	}
	if v.Correlation != nil {
		p["exploitAvailable"] = len(v.Correlation.Exploits) > 0
		p["malwareAssociated"] = len(v.Correlation.Malware) > 0
	}
	setOptionalBool(p, "production", o.Production)
	setOptionalBool(p, "public", o.Public)
	return graph.Entity{Key: VulnKey(v.QID), Type: TypeVuln, Class: []string{"Vulnerability"}, Properties: p}
}

func setFloat(p graph.Properties, name string, f *float64) {
	if f != nil {
		p[name] = *f
	}
}

// VulnWebLink is the Qualys UI page of a QID: https://qualysguard.<platform>
// for a qualysapi.<platform> API URL, the API host itself otherwise (the
// simulator).
func VulnWebLink(apiURL string, qid int64) string {
	u, err := url.Parse(apiURL)
	if err != nil || u.Host == "" {
		return ""
	}
	host := u.Host
	if rest, ok := strings.CutPrefix(strings.ToLower(host), "qualysapi."); ok {
		host = "qualysguard." + rest
	}
	return u.Scheme + "://" + host + "/fo/common/vuln_info.php?id=" + strconv.FormatInt(qid, 10)
}

// CVEEntity is the shared cve entity that a finding IS; the mapper owns it.
func CVEEntity(ref qualys.Reference) (graph.Entity, bool) {
	id := strings.ToUpper(strings.TrimSpace(ref.ID))
	if !strings.HasPrefix(id, "CVE-") {
		return graph.Entity{}, false
	}
	link := strings.TrimSpace(ref.URL)
	if link == "" {
		link = "https://nvd.nist.gov/vuln/detail/" + id
	}
	p := graph.Properties{
		"name": id, "displayName": id, "id": id, "webLink": link,
		"category": "cve", "severity": nil, "blocking": false, "open": nil, "production": nil, "public": nil,
	}
	return graph.Entity{Key: strings.ToLower(id), Type: TypeCVE, Class: []string{"Vulnerability"}, Properties: p}, true
}

// CVEMapping is the mapped relationship finding IS cve.
func CVEMapping(findingKey, relType string, cve graph.Entity) graph.MappedRelationship {
	return graph.MappedRelationship{
		Key:              graph.RelationshipKey(findingKey, ClassIs, cve.Key),
		Type:             relType,
		Class:            ClassIs,
		Direction:        graph.Forward,
		SourceKey:        findingKey,
		TargetFilterKeys: [][]string{{"_type", "_key"}},
		TargetEntity:     cve,
	}
}

// AccountEntity is the instance's qualys_account.
func AccountEntity(instance, description string, pv *qualys.PortalVersion) graph.Entity {
	name := "Qualys - " + instance
	p := graph.Properties{"name": name, "displayName": name, "accountName": instance}
	setString(p, "description", description)
	if pv != nil {
		setString(p, "portalVersion", pv.ApplicationVersion())
	}
	return graph.Entity{Key: AccountKey(instance), Type: TypeAccount, Class: []string{"Account"}, Properties: p}
}

// ServiceEntities are the two Qualys services with Account HAS Service.
func ServiceEntities(instance string, pv *qualys.PortalVersion) ([]graph.Entity, []graph.Relationship) {
	vm := graph.Properties{
		"name": "Qualys Vulnerability Manager", "displayName": "Qualys Vulnerability Manager",
		"category": []any{"software", "other"}, "function": []any{"vulnerability-management"},
		"description": "Detect, prioritize and remediate vulnerabilities, and monitor using dashboards.",
	}
	was := graph.Properties{
		"name": "Qualys Web Application Scanner", "displayName": "Qualys Web Application Scanner",
		"category": []any{"software", "other"}, "function": []any{"DAST"},
		"description": "Automated Web Application Security Assessment and Reporting",
	}
	if pv != nil {
		setString(vm, "version", pv.VMVersion())
		setString(was, "version", pv.WASVersion())
	}
	acct := AccountKey(instance)
	return []graph.Entity{
			{Key: KeyVMDR, Type: TypeVMDR, Class: []string{"Service"}, Properties: vm},
			{Key: KeyWAS, Type: TypeWAS, Class: []string{"Service"}, Properties: was},
		}, []graph.Relationship{
			{Key: graph.RelationshipKey(acct, ClassHas, KeyVMDR), Type: RelAccountHasVMDR, Class: ClassHas, FromKey: acct, ToKey: KeyVMDR},
			{Key: graph.RelationshipKey(acct, ClassHas, KeyWAS), Type: RelAccountHasWAS, Class: ClassHas, FromKey: acct, ToKey: KeyWAS},
		}
}
