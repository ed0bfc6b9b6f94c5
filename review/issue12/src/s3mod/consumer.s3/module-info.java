module consumer.s3 { requires dev.tenure.lease; }
