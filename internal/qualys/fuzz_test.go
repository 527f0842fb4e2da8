package qualys

import (
	"bytes"
	"encoding/xml"
	"os"
	"path/filepath"
	"testing"

	"github.com/qgraph/qgraph/internal/qualys/qualystest"
)

// The fuzz targets feed arbitrary bytes to each decoder: they may fail,
// never panic or loop.

func seedFixtures(f *testing.F, files ...string) {
	for _, name := range files {
		b, err := os.ReadFile(filepath.Join(testdataDir, "fixtures", name))
		if err == nil {
			f.Add(b)
		}
	}
}

func seedRecordings(f *testing.F, hars ...string) {
	for _, h := range hars {
		entries, err := loadBodies(h)
		if err != nil {
			continue
		}
		for _, b := range entries {
			f.Add(b)
		}
	}
}

func loadBodies(har string) ([][]byte, error) {
	entries, err := qualystest.LoadHAR(filepath.Join(testdataDir, "recordings", har))
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for _, e := range entries {
		out = append(out, e.Body)
	}
	return out, nil
}

func FuzzDetections(f *testing.F) {
	seedFixtures(f, "detections.xml")
	seedRecordings(f, "iterateHostDetectionsUnknownId.har", "iterateHostDetectionsBadId.har")
	f.Add([]byte(detectionsXML([]string{"1", "2"}, 2)))
	f.Fuzz(func(t *testing.T, doc []byte) {
		_, _, _ = decodeDetectionsDoc(doc)
	})
}

func FuzzHostAssets(f *testing.F) {
	seedFixtures(f, "ec2-host-assets.xml", "gcp-host-assets.xml", "azure-host-assets.xml", "list-host-assets.xml")
	seedRecordings(f, "iterateHostDetails.har", "iterateHostDetailsBadId.har")
	f.Fuzz(func(t *testing.T, doc []byte) {
		_, _, _ = decodeHostAssetsDoc(doc)
	})
}

func FuzzKnowledgeBase(f *testing.F) {
	seedRecordings(f, "iterateVulnerabilities.har", "iterateVulnerabilitiesUnknownId.har")
	f.Add([]byte(kbOneVuln))
	f.Fuzz(func(t *testing.T, doc []byte) {
		x := newXMLReader(bytes.NewReader(doc))
		_, _ = foPage(x, EndpointKnowledgeBase, "KNOWLEDGE_BASE_VULN_LIST_OUTPUT", 200, map[string]func(xml.StartElement) error{
			"VULN_LIST": func(el xml.StartElement) error {
				_, err := decodeVuln(x)
				return err
			},
		})
	})
}

func FuzzHostList(f *testing.F) {
	seedRecordings(f, "fetchScannedHostIds.har", "fetchScannedHostIdsNone.har")
	f.Add([]byte(`<HOST_LIST_OUTPUT><RESPONSE><ID_SET><ID_RANGE>1-3</ID_RANGE></ID_SET><WARNING><URL>x</URL></WARNING></RESPONSE></HOST_LIST_OUTPUT>`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		x := newXMLReader(bytes.NewReader(doc))
		_, _ = foPage(x, EndpointHostList, "HOST_LIST_OUTPUT", 200, map[string]func(xml.StartElement) error{
			"ID_SET": func(el xml.StartElement) error {
				s, err := x.str()
				if err == nil {
					parseIDRange(s)
				}
				return err
			},
		})
	})
}

func FuzzWebApps(f *testing.F) {
	seedRecordings(f, "iterateWebApps.har", "iterateWebAppsPagination.har", "fetchScannedWebAppIdsNone.har", "iterateWebAppsInvalidFilterValue.har")
	f.Fuzz(func(t *testing.T, doc []byte) {
		x := newXMLReader(bytes.NewReader(doc))
		_, _ = qpsPage(x, EndpointWebApps, func(el xml.StartElement) error {
			_, err := decodeWebApp(x)
			return err
		})
	})
}

func FuzzFindings(f *testing.F) {
	seedRecordings(f, "iterateWebAppFindingsBadId.har", "iterateWebAppFindingsUnknownId.har")
	f.Add([]byte("<ServiceResponse><responseCode>SUCCESS</responseCode><data><Finding><id>1</id><cwe><count>1</count><list><long>79</long></list></cwe><owasp><list><OWASP><code>3</code></OWASP></list></owasp><cvssV3><base>6.1</base></cvssV3></Finding></data></ServiceResponse>"))
	f.Fuzz(func(t *testing.T, doc []byte) {
		x := newXMLReader(bytes.NewReader(doc))
		_, _ = qpsPage(x, EndpointFindings, func(el xml.StartElement) error {
			_, err := decodeFinding(x)
			return err
		})
	})
}

func FuzzPortalVersion(f *testing.F) {
	seedRecordings(f, "verifyAuthentication.har", "fetchPortalInfo.har", "verifyAuthenticationInaccesible.har")
	f.Fuzz(func(t *testing.T, doc []byte) {
		x := newXMLReader(bytes.NewReader(doc))
		_, _ = qpsPage(x, EndpointPortalVersion, func(el xml.StartElement) error {
			return eachChild(x, func(xml.StartElement) error {
				_, err := x.str()
				return err
			})
		})
	})
}

func FuzzErrorBodies(f *testing.F) {
	seedRecordings(f, "iterateHostDetectionsBadId.har", "verifyAuthenticationExpired.har", "iterateHostDetailsBadId.har")
	f.Add([]byte(simpleReturnXML(1965, "wait", "SECONDS_TO_WAIT", "12")))
	f.Fuzz(func(t *testing.T, doc []byte) {
		e := &APIError{}
		fillAPIError(e, doc)
		_ = e.Error()
	})
}
