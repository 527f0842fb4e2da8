package qualys

import (
	"encoding/xml"
	"strings"
)

// decodeHostAsset reads one HostAsset element, just started.
func decodeHostAsset(x *xmlReader) (*HostAsset, error) {
	a := &HostAsset{}
	err := eachChild(x, func(f xml.StartElement) error {
		var err error
		n := f.Name.Local
		switch n {
		case "id":
			a.ID, err = x.int(n)
		case "name":
			a.Name, err = x.str()
		case "created":
			a.Created, err = x.time(n)
		case "modified":
			a.Modified, err = x.time(n)
		case "type":
			a.Type, err = x.str()
		case "qwebHostId":
			a.QWebHostID, err = x.int(n)
		case "trackingMethod":
			a.TrackingMethod, err = x.str()
		case "lastVulnScan":
			a.LastVulnScan, err = x.time(n)
		case "lastComplianceScan":
			a.LastComplianceScan, err = x.time(n)
		case "lastSystemBoot":
			a.LastSystemBoot, err = x.time(n)
		case "vulnsUpdated":
			a.VulnsUpdated, err = x.time(n)
		case "informationGatheredUpdated":
			a.InformationGatheredUpdated, err = x.time(n)
		case "fqdn":
			a.FQDN, err = x.str()
		case "dnsHostName":
			a.DNSHostName, err = x.str()
		case "netbiosName":
			a.NetBIOSName, err = x.str()
		case "netbiosNetworkId":
			a.NetBIOSNetworkID, err = x.int(n)
		case "networkGuid":
			a.NetworkGUID, err = x.str()
		case "address":
			a.Address, err = x.str()
		case "domain":
			a.Domain, err = x.str()
		case "os":
			a.OS, err = x.str()
		case "hostname":
			a.Hostname, err = x.str()
		case "manufacturer":
			a.Manufacturer, err = x.str()
		case "model":
			a.Model, err = x.str()
		case "biosDescription":
			a.BIOSDescription, err = x.str()
		case "timezone":
			a.Timezone, err = x.str()
		case "totalMemory":
			a.TotalMemory, err = x.int(n)
		case "lastLoggedOnUser":
			a.LastLoggedOnUser, err = x.str()
		case "isDockerHost":
			a.IsDockerHost, err = x.bool(n)
		case "cloudProvider":
			a.CloudProvider, err = x.str()
		case "criticalityScore":
			a.CriticalityScore, err = x.int(n)
		case "tags":
			err = decodeAssetTags(x, a)
		case "sourceInfo":
			err = eachListItem(x, func(it xml.StartElement) error { return decodeSource(x, it, a) })
		case "networkInterface":
			err = eachListItem(x, func(it xml.StartElement) error {
				var ni NetworkInterface
				err := eachChild(x, func(g xml.StartElement) error {
					var err error
					switch g.Name.Local {
					case "hostname":
						ni.Hostname, err = x.str()
					case "interfaceId":
						ni.InterfaceID, err = x.str()
					case "interfaceName":
						ni.InterfaceName, err = x.str()
					case "macAddress":
						ni.MACAddress, err = x.str()
					case "type":
						ni.Type, err = x.str()
					case "address":
						ni.Address, err = x.str()
					case "gatewayAddress":
						ni.GatewayAddress, err = x.str()
					default:
						err = x.skip()
					}
					return err
				})
				a.NetworkInterfaces = append(a.NetworkInterfaces, ni)
				return err
			})
		case "openPort":
			err = eachListItem(x, func(it xml.StartElement) error {
				var p OpenPort
				err := eachChild(x, func(g xml.StartElement) error {
					var err error
					switch g.Name.Local {
					case "port":
						p.Port, err = x.int("openPort/port")
					case "protocol":
						p.Protocol, err = x.str()
					case "serviceId":
						p.ServiceID, err = x.int("openPort/serviceId")
					case "serviceName":
						p.ServiceName, err = x.str()
					default:
						err = x.skip()
					}
					return err
				})
				a.OpenPorts = append(a.OpenPorts, p)
				return err
			})
		case "software":
			err = eachListItem(x, func(it xml.StartElement) error {
				var s InstalledSoftware
				err := decodePair(x, "name", "version", &s.Name, &s.Version)
				a.Software = append(a.Software, s)
				return err
			})
		case "vuln":
			err = eachListItem(x, func(it xml.StartElement) error {
				var v AssetVuln
				err := eachChild(x, func(g xml.StartElement) error {
					var err error
					switch g.Name.Local {
					case "qid":
						v.QID, err = x.int("vuln/qid")
					case "hostInstanceVulnId":
						v.HostInstanceVulnID, err = x.int("vuln/hostInstanceVulnId")
					case "firstFound":
						v.FirstFound, err = x.time("vuln/firstFound")
					case "lastFound":
						v.LastFound, err = x.time("vuln/lastFound")
					default:
						err = x.skip()
					}
					return err
				})
				a.Vulns = append(a.Vulns, v)
				return err
			})
		case "processor":
			err = eachListItem(x, func(it xml.StartElement) error {
				var p Processor
				err := eachChild(x, func(g xml.StartElement) error {
					var err error
					switch g.Name.Local {
					case "name":
						p.Name, err = x.str()
					case "speed":
						p.Speed, err = x.int("processor/speed")
					default:
						err = x.skip()
					}
					return err
				})
				a.Processors = append(a.Processors, p)
				return err
			})
		case "volume":
			err = eachListItem(x, func(it xml.StartElement) error {
				var v Volume
				err := eachChild(x, func(g xml.StartElement) error {
					var err error
					switch g.Name.Local {
					case "name":
						v.Name, err = x.str()
					case "size":
						v.Size, err = x.int("volume/size")
					case "free":
						v.Free, err = x.int("volume/free")
					default:
						err = x.skip()
					}
					return err
				})
				a.Volumes = append(a.Volumes, v)
				return err
			})
		case "account":
			err = eachListItem(x, func(it xml.StartElement) error {
				return eachChild(x, func(g xml.StartElement) error {
					if g.Name.Local != "username" {
						return x.skip()
					}
					s, err := x.str()
					a.Accounts = append(a.Accounts, s)
					return err
				})
			})
		case "agentInfo":
			a.Agent, err = decodeAgentInfo(x)
		case "dockerInfo":
			d := &DockerInfo{}
			err = eachChild(x, func(g xml.StartElement) error {
				var err error
				switch g.Name.Local {
				case "dockerVersion":
					d.DockerVersion, err = x.str()
				case "noOfContainers":
					d.NoOfContainers, err = x.int("dockerInfo/noOfContainers")
				case "noOfImages":
					d.NoOfImages, err = x.int("dockerInfo/noOfImages")
				default:
					err = x.skip()
				}
				return err
			})
			a.Docker = d
		default:
			err = x.skip()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// eachListItem calls fn for each item of a QPS list: <x><list><Item/>…</list></x>.
// Items directly under x (without list) are accepted too.
func eachListItem(x *xmlReader, fn func(xml.StartElement) error) error {
	return eachChild(x, func(el xml.StartElement) error {
		if el.Name.Local == "list" {
			return eachChild(x, fn)
		}
		if el.Name.Local == "count" {
			return x.skip()
		}
		return fn(el)
	})
}

// decodeAssetTags reads tags/list/TagSimple or the older tags/TAG form.
func decodeAssetTags(x *xmlReader, a *HostAsset) error {
	return eachListItem(x, func(it xml.StartElement) error {
		var t AssetTag
		err := eachChild(x, func(g xml.StartElement) error {
			var err error
			switch g.Name.Local {
			case "id", "TAG_ID":
				t.ID, err = x.int("tag id")
			case "name", "NAME":
				t.Name, err = x.str()
			default:
				err = x.skip()
			}
			return err
		})
		a.Tags = append(a.Tags, t)
		return err
	})
}

// decodeCloudTags reads <xTags><tags><list><Tag><key/><value/></Tag>…
func decodeCloudTags(x *xmlReader, out *[]KeyValue) error {
	return eachChild(x, func(el xml.StartElement) error {
		if el.Name.Local != "tags" {
			return x.skip()
		}
		return eachListItem(x, func(it xml.StartElement) error {
			var kv KeyValue
			err := decodePair(x, "key", "value", &kv.Key, &kv.Value)
			*out = append(*out, kv)
			return err
		})
	})
}

// decodeSourceCommon decodes a field common to all sources; it reports
// false when the field is not one of them.
func decodeSourceCommon(x *xmlReader, n string, s *SourceCommon) (bool, error) {
	var err error
	switch n {
	case "assetId":
		s.AssetID, err = x.int("assetId")
	case "type":
		s.Type, err = x.str()
	case "firstDiscovered":
		s.FirstDiscovered, err = x.time(n)
	case "lastUpdated":
		s.LastUpdated, err = x.time(n)
	default:
		return false, nil
	}
	return true, err
}

func decodeSource(x *xmlReader, it xml.StartElement, a *HostAsset) error {
	switch it.Name.Local {
	case "Ec2AssetSourceSimple":
		var s EC2Source
		err := eachChild(x, func(g xml.StartElement) error {
			n := g.Name.Local
			if done, err := decodeSourceCommon(x, n, &s.SourceCommon); done || err != nil {
				return err
			}
			var err error
			switch n {
			case "reservationId":
				s.ReservationID, err = x.str()
			case "availabilityZone":
				s.AvailabilityZone, err = x.str()
			case "privateDnsName":
				s.PrivateDNSName, err = x.str()
			case "publicDnsName":
				s.PublicDNSName, err = x.str()
			case "instanceId":
				s.InstanceID, err = x.str()
			case "instanceType":
				s.InstanceType, err = x.str()
			case "createdDate":
				s.CreatedDate, err = x.time(n)
			case "launchTime":
				s.LaunchTime, err = x.time(n)
			case "instanceState":
				s.InstanceState, err = x.str()
			case "groupId":
				s.GroupID, err = x.str()
			case "groupName":
				s.GroupName, err = x.str()
			case "instanceGroupId":
				s.InstanceGroupID, err = x.str()
			case "instanceGroupName":
				s.InstanceGroupName, err = x.str()
			case "spotInstance":
				s.SpotInstance, err = x.bool(n)
			case "accountId":
				s.AccountID, err = x.str()
			case "subnetId":
				s.SubnetID, err = x.str()
			case "vpcId":
				s.VPCID, err = x.str()
			case "region":
				s.Region, err = x.str()
			case "zone":
				s.Zone, err = x.str()
			case "imageId":
				s.ImageID, err = x.str()
			case "keyName":
				s.KeyName, err = x.str()
			case "localHostname":
				s.LocalHostname, err = x.str()
			case "macAddress":
				s.MACAddress, err = x.str()
			case "publicIpAddress":
				s.PublicIPAddress, err = x.str()
			case "privateIpAddress":
				s.PrivateIPAddress, err = x.str()
			case "monitoringEnabled":
				s.MonitoringEnabled, err = x.bool(n)
			case "ec2InstanceTags":
				err = decodeCloudTags(x, &s.Tags)
			default:
				err = x.skip()
			}
			return err
		})
		a.EC2Sources = append(a.EC2Sources, s)
		return err
	case "AzureAssetSourceSimple":
		var s AzureSource
		err := eachChild(x, func(g xml.StartElement) error {
			n := g.Name.Local
			if done, err := decodeSourceCommon(x, n, &s.SourceCommon); done || err != nil {
				return err
			}
			var err error
			switch n {
			case "name":
				s.Name, err = x.str()
			case "location":
				s.Location, err = x.str()
			case "vmSize":
				s.VMSize, err = x.str()
			case "vmId":
				s.VMID, err = x.str()
			case "offer":
				s.Offer, err = x.str()
			case "state":
				var v string
				v, err = x.str()
				s.State = joinNonEmpty(s.State, v)
			case "publisher":
				s.Publisher, err = x.str()
			case "version":
				s.Version, err = x.str()
			case "osType":
				s.OSType, err = x.str()
			case "subnet":
				s.Subnet, err = x.str()
			case "virtualNetwork":
				s.VirtualNetwork, err = x.str()
			case "subscriptionId":
				s.SubscriptionID, err = x.str()
			case "resourceGroupName":
				s.ResourceGroupName, err = x.str()
			case "macAddress":
				s.MACAddress, err = x.str()
			case "privateIpAddress":
				s.PrivateIPAddress, err = x.str()
			case "publicIpAddress":
				s.PublicIPAddress, err = x.str()
			case "ipv6":
				s.IPv6, err = x.str()
			case "azureVmTags":
				err = decodeCloudTags(x, &s.Tags)
			default:
				err = x.skip()
			}
			return err
		})
		a.AzureSources = append(a.AzureSources, s)
		return err
	case "GcpAssetSourceSimple":
		var s GCPSource
		err := eachChild(x, func(g xml.StartElement) error {
			n := g.Name.Local
			if done, err := decodeSourceCommon(x, n, &s.SourceCommon); done || err != nil {
				return err
			}
			var err error
			switch n {
			case "instanceId":
				s.InstanceID, err = x.str()
			case "hostname":
				s.Hostname, err = x.str()
			case "machineType":
				s.MachineType, err = x.str()
			case "imageId":
				s.ImageID, err = x.str()
			case "zone":
				s.Zone, err = x.str()
			case "projectIdNo":
				s.ProjectIDNo, err = x.str()
			case "projectId":
				s.ProjectID, err = x.str()
			case "state":
				s.State, err = x.str()
			case "network":
				s.Network, err = x.str()
			case "macAddress":
				s.MACAddress, err = x.str()
			case "publicIpAddress":
				s.PublicIPAddress, err = x.str()
			case "privateIpAddress":
				s.PrivateIPAddress, err = x.str()
			case "gcpInstanceTags":
				err = decodeCloudTags(x, &s.Tags)
			default:
				err = x.skip()
			}
			return err
		})
		a.GCPSources = append(a.GCPSources, s)
		return err
	}
	a.OtherSources++
	return x.skip()
}

func joinNonEmpty(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "," + b
}

func decodeAgentInfo(x *xmlReader) (*AgentInfo, error) {
	ai := &AgentInfo{}
	err := eachChild(x, func(g xml.StartElement) error {
		var err error
		n := g.Name.Local
		switch n {
		case "agentVersion":
			ai.AgentVersion, err = x.str()
		case "agentId":
			ai.AgentID, err = x.str()
		case "status":
			ai.Status, err = x.str()
		case "lastCheckedIn":
			ai.LastCheckedIn, err = x.time(n)
		case "connectedFrom":
			ai.ConnectedFrom, err = x.str()
		case "chirpStatus":
			ai.ChirpStatus, err = x.str()
		case "platform":
			ai.Platform, err = x.str()
		case "activatedModule":
			ai.ActivatedModule, err = x.str()
		case "manifestVersion":
			err = eachChild(x, func(h xml.StartElement) error {
				var err error
				switch strings.ToLower(h.Name.Local) {
				case "vm":
					ai.ManifestVM, err = x.str()
				case "pc":
					ai.ManifestPC, err = x.str()
				case "sca":
					ai.ManifestSCA, err = x.str()
				default:
					err = x.skip()
				}
				return err
			})
		case "agentConfiguration":
			err = eachChild(x, func(h xml.StartElement) error {
				var err error
				switch h.Name.Local {
				case "id":
					ai.ConfigurationID, err = x.int("agentConfiguration/id")
				case "name":
					ai.ConfigurationName, err = x.str()
				default:
					err = x.skip()
				}
				return err
			})
		case "activationKey":
			err = decodePair(x, "activationId", "title", &ai.ActivationID, &ai.ActivationTitle)
		case "localIpv4":
			ai.LocalIPv4, err = x.str()
		case "localIpv6":
			ai.LocalIPv6, err = x.str()
		case "location":
			ai.Location, err = x.str()
		case "locationGeoLatitude":
			ai.LocationGeoLatitude, err = x.str()
		case "locationGeoLongitude":
			ai.LocationGeoLongitude, err = x.str()
		default:
			err = x.skip()
		}
		return err
	})
	return ai, err
}
