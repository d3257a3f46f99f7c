export { pipelineInstance } from './pipeline-instance';
export { recordTrigger } from './record-trigger';
export { webhookDeliveries } from './webhook-deliveries';
export { recordWriter } from './record-writer';
