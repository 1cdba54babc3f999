package objstore

// S3Config is the object-store endpoint and credentials for s3:// locations.
// Its String method never prints secrets.
type S3Config struct {
	Endpoint        string // e.g. http://127.0.0.1:9000 for MinIO; empty for AWS
	Region          string // default us-east-1
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	// PathStyle addresses buckets as endpoint/bucket/key (MinIO); it is implied
	// when Endpoint is set.
	PathStyle bool
}

// String describes the config without its secrets.
func (c S3Config) String() string {
	s := "s3{endpoint=" + c.Endpoint + " region=" + c.Region
	if c.AccessKeyID != "" {
		s += " credentials=static"
	}
	return s + "}"
}
