// The workflow bundle entry: workflow functions only.
export { purchaseOrderWorkflow } from './purchase-order/workflow';
