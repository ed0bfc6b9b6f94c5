module consumer.core { requires dev.tenure.core; }
