package qualys

import "encoding/xml"

// decodeDetectionHost reads one HOST element, just started.
func decodeDetectionHost(x *xmlReader) (*DetectionHost, error) {
	h := &DetectionHost{}
	for {
		f, ok, err := x.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		n := f.Name.Local
		switch n {
		case "ID":
			h.ID, err = x.int(n)
		case "ASSET_ID":
			h.AssetID, err = x.int(n)
		case "IP":
			h.IP, err = x.str()
		case "IPV6":
			h.IPv6, err = x.str()
		case "TRACKING_METHOD":
			h.TrackingMethod, err = x.enum()
		case "NETWORK_ID":
			h.NetworkID, err = x.int(n)
		case "OS":
			h.OS, err = x.str()
		case "OS_CPE":
			h.OSCPE, err = x.str()
		case "DNS":
			h.DNS, err = x.str()
		case "DNS_DATA":
			err = decodeDNSData(x, &h.DNSData)
		case "CLOUD_PROVIDER":
			h.CloudProvider, err = x.str()
		case "CLOUD_SERVICE":
			h.CloudService, err = x.str()
		case "CLOUD_RESOURCE_ID":
			h.CloudResourceID, err = x.str()
		case "EC2_INSTANCE_ID":
			h.EC2InstanceID, err = x.str()
		case "NETBIOS":
			h.NetBIOS, err = x.str()
		case "QG_HOSTID":
			h.QGHostID, err = x.str()
		case "LAST_SCAN_DATETIME":
			h.LastScan, err = x.time(n)
		case "LAST_VM_SCANNED_DATE":
			h.LastVMScanned, err = x.time(n)
		case "LAST_VM_SCANNED_DURATION":
			h.LastVMScannedDuration, err = x.int(n)
		case "LAST_VM_AUTH_SCANNED_DATE":
			h.LastVMAuthScanned, err = x.time(n)
		case "LAST_VM_AUTH_SCANNED_DURATION":
			h.LastVMAuthScannedDuration, err = x.int(n)
		case "LAST_PC_SCANNED_DATE":
			h.LastPCScanned, err = x.time(n)
		case "TAGS":
			err = eachChild(x, func(el xml.StartElement) error {
				if el.Name.Local != "TAG" {
					return x.skip()
				}
				t, err := decodeHostTag(x)
				h.Tags = append(h.Tags, t)
				return err
			})
		case "METADATA":
			err = eachChild(x, func(el xml.StartElement) error {
				m := CloudMetadata{Provider: el.Name.Local}
				err := eachChild(x, func(a xml.StartElement) error {
					if a.Name.Local != "ATTRIBUTE" {
						return x.skip()
					}
					at, err := decodeMetadataAttribute(x)
					m.Attributes = append(m.Attributes, at)
					return err
				})
				h.Metadata = append(h.Metadata, m)
				return err
			})
		case "CLOUD_PROVIDER_TAGS":
			err = eachChild(x, func(el xml.StartElement) error {
				if el.Name.Local != "CLOUD_TAG" {
					return x.skip()
				}
				var t CloudTag
				err := eachChild(x, func(g xml.StartElement) error {
					var err error
					switch g.Name.Local {
					case "NAME":
						t.Name, err = x.str()
					case "VALUE":
						t.Value, err = x.str()
					case "LAST_SUCCESS_DATE":
						t.LastSuccess, err = x.time(g.Name.Local)
					default:
						err = x.skip()
					}
					return err
				})
				h.CloudTags = append(h.CloudTags, t)
				return err
			})
		case "DETECTION_LIST":
			err = eachChild(x, func(el xml.StartElement) error {
				if el.Name.Local != "DETECTION" {
					return x.skip()
				}
				h.Detections = append(h.Detections, Detection{})
				return decodeDetection(x, &h.Detections[len(h.Detections)-1])
			})
		default:
			err = x.skip()
		}
		if err != nil {
			return nil, err
		}
	}
	if h.ID == 0 {
		return nil, malformed("HOST without ID ending at byte %d", x.offset())
	}
	return h, nil
}

// eachChild calls fn for every child element of the current element; fn
// must consume the child.
func eachChild(x *xmlReader, fn func(xml.StartElement) error) error {
	for {
		el, ok, err := x.next()
		if err != nil || !ok {
			return err
		}
		if err := fn(el); err != nil {
			return err
		}
	}
}

func decodeDNSData(x *xmlReader, d *DNSData) error {
	return eachChild(x, func(el xml.StartElement) error {
		var err error
		switch el.Name.Local {
		case "HOSTNAME":
			d.Hostname, err = x.str()
		case "DOMAIN":
			d.Domain, err = x.str()
		case "FQDN":
			d.FQDN, err = x.str()
		default:
			err = x.skip()
		}
		return err
	})
}

func decodeHostTag(x *xmlReader) (HostTag, error) {
	var t HostTag
	err := eachChild(x, func(el xml.StartElement) error {
		var err error
		switch el.Name.Local {
		case "TAG_ID":
			t.ID, err = x.int("TAG_ID")
		case "NAME":
			t.Name, err = x.str()
		case "COLOR":
			t.Color, err = x.str()
		case "BACKGROUND_COLOR":
			t.BackgroundColor, err = x.str()
		default:
			err = x.skip()
		}
		return err
	})
	return t, err
}

func decodeMetadataAttribute(x *xmlReader) (MetadataAttribute, error) {
	var a MetadataAttribute
	err := eachChild(x, func(el xml.StartElement) error {
		var err error
		n := el.Name.Local
		switch n {
		case "NAME":
			a.Name, err = x.str()
		case "LAST_STATUS":
			a.LastStatus, err = x.str()
		case "VALUE":
			a.Value, err = x.str()
		case "LAST_SUCCESS_DATE":
			a.LastSuccess, err = x.time(n)
		case "LAST_ERROR_DATE":
			a.LastError, err = x.time(n)
		case "LAST_ERROR":
			a.LastErrorText, err = x.str()
		default:
			err = x.skip()
		}
		return err
	})
	return a, err
}

// decodeDetection reads one DETECTION element, just started, into d.
func decodeDetection(x *xmlReader, d *Detection) error {
	for {
		f, ok, err := x.next()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		n := f.Name.Local
		switch n {
		case "UNIQUE_VULN_ID":
			d.UniqueVulnID, err = x.int(n)
		case "QID":
			d.QID, err = x.int(n)
		case "TYPE":
			d.Type, err = x.enum()
		case "SEVERITY":
			d.Severity, err = x.int(n)
		case "PORT":
			d.Port, err = x.intPtr(n)
		case "PROTOCOL":
			d.Protocol, err = x.enum()
		case "FQDN":
			d.FQDN, err = x.str()
		case "SSL":
			d.SSL, err = x.boolPtr(n)
		case "INSTANCE":
			d.Instance, err = x.str()
		case "RESULTS":
			d.Results, err = x.raw()
		case "STATUS":
			d.Status, err = x.enum()
		case "FIRST_FOUND_DATETIME":
			d.FirstFound, err = x.time(n)
		case "LAST_FOUND_DATETIME":
			d.LastFound, err = x.time(n)
		case "QDS":
			q := &QDS{Severity: attr(f, "severity")}
			q.Score, err = x.int(n)
			d.QDS = q
		case "QDS_FACTORS":
			err = eachChild(x, func(el xml.StartElement) error {
				if el.Name.Local != "QDS_FACTOR" {
					return x.skip()
				}
				v, err := x.str()
				d.QDSFactors = append(d.QDSFactors, QDSFactor{Name: attr(el, "name"), Value: v})
				return err
			})
		case "TIMES_FOUND":
			d.TimesFound, err = x.int(n)
		case "LAST_TEST_DATETIME":
			d.LastTest, err = x.time(n)
		case "LAST_UPDATE_DATETIME":
			d.LastUpdate, err = x.time(n)
		case "LAST_FIXED_DATETIME":
			d.LastFixed, err = x.time(n)
		case "FIRST_REOPENED_DATETIME":
			d.FirstReopened, err = x.time(n)
		case "LAST_REOPENED_DATETIME":
			d.LastReopened, err = x.time(n)
		case "TIMES_REOPENED":
			d.TimesReopened, err = x.int(n)
		case "SERVICE":
			d.Service, err = x.str()
		case "IS_IGNORED":
			d.IsIgnored, err = x.bool(n)
		case "IS_DISABLED":
			d.IsDisabled, err = x.bool(n)
		case "AFFECT_RUNNING_KERNEL":
			d.AffectRunningKernel, err = x.boolPtr(n)
		case "AFFECT_RUNNING_SERVICE":
			d.AffectRunningService, err = x.boolPtr(n)
		case "AFFECT_EXPLOITABLE_CONFIG":
			d.AffectExploitableConfig, err = x.boolPtr(n)
		case "LAST_PROCESSED_DATETIME":
			d.LastProcessed, err = x.time(n)
		case "ASSET_CVE":
			d.AssetCVE, err = x.str()
		default:
			err = x.skip()
		}
		if err != nil {
			return err
		}
	}
	if d.QID == 0 {
		return malformed("DETECTION without QID ending at byte %d", x.offset())
	}
	return nil
}
