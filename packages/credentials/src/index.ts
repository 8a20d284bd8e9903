export { addClickHouseAuthOptions, CLICKHOUSE_PASSWORD_ENV, type ClickHouseAuth, clickhouseAuthFrom } from "./clickhouse-auth.js";
export {
  addKafkaAuthOptions,
  describeKafkaAuth,
  KAFKA_SASL_PASSWORD_ENV,
  type KafkaAuth,
  kafkaAuthFrom,
  SASL_MECHANISMS,
  type SaslCredentials,
  type SaslMechanism,
} from "./kafka-auth.js";
export { argvPasswordRefusal, readFlagFile, readSecretFile, resolveSecret, type SecretSource } from "./secret.js";
