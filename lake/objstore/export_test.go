package objstore

// NewS3WithAWSConfig is NewS3 with a prepared aws.Config, so that tests can
// swap in a retryer with millisecond backoff.
var NewS3WithAWSConfig = newS3
