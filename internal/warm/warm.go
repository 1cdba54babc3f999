package warm

import (
	_ "github.com/apache/arrow-go/v18/parquet/pqarrow"
	_ "github.com/apache/iceberg-go/catalog/sql"
	_ "github.com/apache/iceberg-go/catalog/rest"
	_ "github.com/apache/iceberg-go/io/gocloud/s3"
	_ "github.com/apache/iceberg-go/table"
	_ "github.com/aws/aws-sdk-go-v2/service/s3"
	_ "github.com/prometheus/client_golang/prometheus/promhttp"
	_ "github.com/twmb/franz-go/pkg/kfake"
	_ "github.com/uptrace/bun/driver/sqliteshim"
)
