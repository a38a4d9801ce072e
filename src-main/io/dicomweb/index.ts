/** io/dicomweb: QIDO-RS / WADO-RS / STOW-RS client. Imports src-shared and node built-ins only. */
export * from './client';
export { MultipartParser, buildMultipart, boundaryOf } from './multipart';
