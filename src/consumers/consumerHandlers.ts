import { apimConsumer } from "./apimConsumer.js";
import { appConfigConsumer } from "./appConfigConsumer.js";
import { appServiceConsumer } from "./appServiceConsumer.js";
import { containerAppConsumer } from "./containerAppConsumer.js";
import type { ConsumerKind } from "./consumer.js";
import type { ConsumerHandler } from "./consumerHandler.js";

/** The handler of each consumer kind. */
export const CONSUMER_HANDLERS: Readonly<Record<ConsumerKind, ConsumerHandler>> = {
  site: appServiceConsumer,
  apim: apimConsumer,
  containerapp: containerAppConsumer,
  appconfig: appConfigConsumer,
};
